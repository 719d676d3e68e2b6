/**
 * Tokenizers and chat templates shared by the Kamado trainer and server: {@link
 * dev.kamado.model.tokenizer.TextTokenizer} (Hugging Face tokenizer.json through DJL's native {@code tokenizers},
 * offline, plus the bytes of every token), {@link dev.kamado.model.tokenizer.ChatTemplates} (Java renderings of the
 * common Jinja chat templates, with trainable segments for SFT), {@link dev.kamado.model.tokenizer.IncrementalDecoder}
 * (streaming detokenization) and {@link dev.kamado.model.tokenizer.BpeTrainer} (deterministic byte-level BPE training
 * that writes Hugging Face files). See model/TOKENIZER.md.
 */
package dev.kamado.model.tokenizer;
