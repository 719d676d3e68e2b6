#!/usr/bin/env python3
"""Reference side of TrainingThroughputBench: the same training work with Python transformers (+ peft for LoRA).

Trains a Hugging Face model folder (the one Kamado's init-model wrote) on a text JSON Lines file, cut into rows of
--seq tokens (the file's documents tokenised with the model's tokenizer.json, an end token after each, concatenated
and chunked, as transformers' run_clm does), --batch rows per step, AdamW + cosine schedule + clipping at 1.0, for
--steps optimizer steps on --threads CPU threads. Prints one JSON line: tokens_per_second (training steps only:
forward, backward, clipping, optimizer; model loading excluded, like the Kamado figure), tokens, steps, seconds,
peak_rss_mb (ru_maxrss), versions. Test/bench tooling only; never part of an image.
"""
import argparse
import json
import os
import resource
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--method", choices=["full", "lora"], default="full")
    ap.add_argument("--lora-rank", type=int, default=16)
    ap.add_argument("--lora-alpha", type=int, default=32)
    ap.add_argument("--lora-dropout", type=float, default=0.05)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"])
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    import transformers
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM, get_cosine_schedule_with_warmup

    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    eos = cfg.get("eos_token_id")
    eos = eos[0] if isinstance(eos, list) else eos
    stream = []
    with open(args.data, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                stream.extend(tok.encode(json.loads(line)["text"]).ids)
                if eos is not None:
                    stream.append(eos)
    rows = [stream[i:i + args.seq] for i in range(0, len(stream) - args.seq + 1, args.seq)]
    needed = args.steps * args.batch
    if len(rows) < needed:
        rows = (rows * (needed // max(1, len(rows)) + 1))
    rows = rows[:needed]

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32, attn_implementation=args.attn)
    if args.method == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=args.lora_rank, lora_alpha=args.lora_alpha,
                                                 lora_dropout=args.lora_dropout, task_type="CAUSAL_LM",
                                                 target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                                 "up_proj", "down_proj"]))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    sched = get_cosine_schedule_with_warmup(opt, max(1, int(0.03 * args.steps + 0.999)), args.steps)

    tokens = 0
    start = time.perf_counter()
    for s in range(args.steps):
        batch = torch.tensor(rows[s * args.batch:(s + 1) * args.batch], dtype=torch.long)
        out = model(input_ids=batch, labels=batch)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        tokens += batch.numel()
    seconds = time.perf_counter() - start
    print(json.dumps({
        "tokens_per_second": tokens / seconds, "tokens": tokens, "steps": args.steps, "seconds": seconds,
        "final_loss": float(out.loss), "trainable_parameters": sum(p.numel() for p in params),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__,
                     "transformers": transformers.__version__},
    }))


if __name__ == "__main__":
    main()
