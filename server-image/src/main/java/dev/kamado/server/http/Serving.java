package dev.kamado.server.http;

import dev.kamado.model.tokenizer.TextTokenizer;
import dev.kamado.server.constraint.ResponseConstraints;
import dev.kamado.server.engine.Engine;

/**
 * What the API needs once the model is ready.
 *
 * @param modelName name reported to clients
 * @param engine the generation engine
 * @param tokenizer the model's tokenizer
 * @param constraints response_format handling
 * @param defaults sampling settings for requests that give none
 */
public record Serving(String modelName, Engine engine, TextTokenizer tokenizer, ResponseConstraints constraints,
    RequestDefaults defaults) {}
