package dev.kamado.demo.data;

import java.time.LocalDate;

/**
 * One generated inquiry: the text a model reads (a {@code Date:} header with the reference date, then the message)
 * and the record it should produce.
 *
 * @param id stable identifier, for example {@code triage-000042}
 * @param referenceDate the date the message was written, which relative dates ("next Friday") are resolved against
 * @param text the full input text, header included
 * @param record the correct triage record
 */
public record Inquiry(String id, LocalDate referenceDate, String text, TriageRecord record) {}
