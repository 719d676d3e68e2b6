#!/usr/bin/env python3
"""Baseline figures for Kamado's model-core benchmark: Python transformers on the same local model.

Test/bench tooling only. Measures, on CPU with --threads torch threads:
  (each figure from the fastest of several runs, as the machine may be shared)
  train_full  tokens/s of forward + cross-entropy + backward, every parameter trainable
  train_lora  the same with a PEFT LoRA adapter (r=8, alpha=16, dropout 0.05, all seven projections)
  decode      new tokens/s of model.generate(do_sample=False) for --new-tokens after a --prompt-len prompt
Writes JSON to --out.
"""
import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--prompt-len", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"])
    a = p.parse_args()

    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)

    def load():
        return AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, local_files_only=True,
                                                    attn_implementation=a.attn).float()

    model = load()
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(0, vocab, (a.batch, a.seq), generator=gen)
    labels = torch.roll(ids, -1, dims=1)
    labels[:, -1] = -100
    result = {"batch": a.batch, "seq": a.seq, "threads": a.threads, "attn": a.attn,
              "versions": {"torch": torch.__version__, "transformers": transformers.__version__}}

    def train(m, name):
        m.train()
        def step():
            logits = m(input_ids=ids, use_cache=False).logits
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1),
                                                     ignore_index=-100)
            loss.backward()
            m.zero_grad(set_to_none=True)
        for _ in range(a.warmup):
            step()
        times = []
        for _ in range(a.steps):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        # fastest step: the machine may be shared, and the fastest step is the least disturbed one
        secs = min(times)
        result[name] = {"tokens_per_s": a.batch * a.seq / secs, "seconds_per_step": secs,
                        "median_seconds_per_step": sorted(times)[len(times) // 2]}

    train(model, "train_full")

    from peft import LoraConfig, get_peft_model
    lora = get_peft_model(load(), LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, bias="none",
                                              task_type="CAUSAL_LM",
                                              target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                                                              "gate_proj", "up_proj", "down_proj"]))
    train(lora, "train_lora")

    model.eval()
    prompt = torch.randint(0, vocab, (1, a.prompt_len), generator=gen)
    model.generation_config.eos_token_id = None
    cfg = transformers.GenerationConfig(do_sample=False, num_beams=1, max_new_tokens=a.new_tokens,
                                        min_new_tokens=a.new_tokens, eos_token_id=None, pad_token_id=0,
                                        temperature=None, top_p=None, top_k=None)
    with torch.no_grad():
        for _ in range(2):
            model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), generation_config=cfg)
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            out = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), generation_config=cfg)
            runs.append(time.perf_counter() - start)
    secs = min(runs)
    result["decode"] = {"new_tokens_per_s": a.new_tokens / secs, "seconds": secs,
                        "prompt_len": a.prompt_len, "new_tokens": a.new_tokens,
                        "greedy_ids": out[0, a.prompt_len:].tolist(), "prompt_ids": prompt[0].tolist()}
    with open(a.out, "w") as f:
        json.dump(result, f)
    print(json.dumps({k: v for k, v in result.items() if k != "decode"} | {"decode_tps": result["decode"]["new_tokens_per_s"]}))


if __name__ == "__main__":
    main()
