package dev.kamado.demo.prompt;

/** One message of an OpenAI-style chat request. */
public record ChatMessage(String role, String content) {}
