/**
 * Model core shared by the Kamado trainer and server: the Hugging Face model artifacts ({@code config.json},
 * safetensors checkpoints) and the offline set-up of the DJL PyTorch engine.
 */
package dev.kamado.model;
