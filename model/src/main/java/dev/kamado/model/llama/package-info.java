/**
 * The Llama-family decoder (llama, qwen2, mistral) on DJL's PyTorch engine: {@link dev.kamado.model.llama.LlamaModel}
 * (load/save Hugging Face folders, differentiable forward with packing and padding, causal LM loss, KV-cache prefill
 * and batch-invariant decode), {@link dev.kamado.model.llama.LoraAdapter} and {@link dev.kamado.model.llama.LoraConfig}
 * (LoRA in the PEFT layout), {@link dev.kamado.model.llama.KvCache}.
 */
package dev.kamado.model.llama;
