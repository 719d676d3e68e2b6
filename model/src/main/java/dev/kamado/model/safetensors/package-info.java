/**
 * Pure-Java reader and writer of the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian header length, a JSON header, then the raw little-endian tensor data.
 *
 * <p>Entry points: {@link dev.kamado.model.safetensors.Safetensors#open(java.nio.file.Path)} to read a file, a sharded
 * index or a model folder, and {@link dev.kamado.model.safetensors.SafetensorsWriter} to write a file atomically.
 */
package dev.kamado.model.safetensors;
