package dev.kamado.operator.autoscale;

import java.time.Instant;

/** The replica count one complete reading asked for, and when. */
public record Recommendation(Instant time, int replicas) {}
