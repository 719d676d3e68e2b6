#!/usr/bin/env python3
"""Baseline for the Kamado server benchmark: transformers `generate` on the same model and prompts.

Test/bench tooling only. Loads a local model folder (no hub access), runs greedy generation of exactly
--max-new-tokens tokens (EOS ignored, as the server benchmark does with ignore_eos) for the given prompt ids,
one prompt at a time and batched (left padding), and prints one JSON object:

  {"threads": 1, "single": {"tokens_per_s": ..., "decode_tokens_per_s": ..., "ttft_s": ...},
   "batched": {"4": {"tokens_per_s": ...}, ...}, "versions": {...}}

single.tokens_per_s = generated tokens / wall time of generate (prefill included), mean over the prompts;
single.decode_tokens_per_s excludes the first token (time of a 1-token generate subtracted).
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--prompts", required=True, help="JSON file: list of lists of prompt token ids")
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--batch-sizes", default="4,16")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--single-prompts", type=int, default=3, help="prompts timed one at a time")
    args = p.parse_args()

    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32, attn_implementation="sdpa")
    model.eval()
    with open(args.prompts) as f:
        prompts = json.load(f)
    pad = model.config.pad_token_id if model.config.pad_token_id is not None else 0
    n = args.max_new_tokens

    def gen(batch, new_tokens):
        width = max(len(x) for x in batch)
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, x in enumerate(batch):
            ids[i, width - len(x):] = torch.tensor(x)
            mask[i, width - len(x):] = 1
        start = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens,
                                 min_new_tokens=new_tokens, do_sample=False, pad_token_id=pad,
                                 eos_token_id=None, use_cache=True)
        elapsed = time.perf_counter() - start
        assert out.shape[1] - width == new_tokens, (out.shape, width, new_tokens)
        return elapsed

    gen([prompts[0]], 4)  # warm-up
    singles, firsts = [], []
    for x in prompts[: args.single_prompts]:
        firsts.append(gen([x], 1))
        singles.append(gen([x], n))
    single_tps = sum(n / t for t in singles) / len(singles)
    decode_tps = sum((n - 1) / max(t - f, 1e-9) for t, f in zip(singles, firsts)) / len(singles)
    result = {
        "threads": args.threads,
        "max_new_tokens": n,
        "single": {"tokens_per_s": single_tps, "decode_tokens_per_s": decode_tps,
                   "ttft_s": sum(firsts) / len(firsts)},
        "batched": {},
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__,
                     "transformers": transformers.__version__},
    }
    for b in [int(x) for x in args.batch_sizes.split(",") if x]:
        batch = [prompts[i % len(prompts)] for i in range(b)]
        t = gen(batch, n)
        result["batched"][str(b)] = {"tokens_per_s": b * n / t, "seconds": t}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
