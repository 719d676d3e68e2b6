package dev.kamado.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kamado.model.tokenizer.ChatMessage;
import java.util.List;

/**
 * A validated completion request, chat or plain.
 *
 * @param chat whether it came to /v1/chat/completions
 * @param messages the conversation (chat), else null
 * @param prompt the prompt text (plain completions), else null
 * @param maxTokens max_tokens (or max_completion_tokens), or null for the server default
 * @param temperature 0 = greedy, or null for the server default
 * @param topP nucleus mass, or null for the server default
 * @param seed the seed, or null for a random one
 * @param stop stop strings, or null for the server default
 * @param stream whether to answer with server-sent events
 * @param includeUsage stream_options.include_usage
 * @param responseFormat the response_format object when it asks for JSON (json_object or json_schema), else null
 * @param ignoreEos extension (as vLLM): keep generating past end-of-sequence tokens until max_tokens
 */
public record ParsedRequest(boolean chat, List<ChatMessage> messages, String prompt, Integer maxTokens,
    Double temperature, Double topP, Long seed, List<String> stop, boolean stream, boolean includeUsage,
    JsonNode responseFormat, boolean ignoreEos) {}
