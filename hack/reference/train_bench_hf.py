#!/usr/bin/env python3
"""Reference side of TrainingThroughputBench: the same training work with Python transformers (+ peft for LoRA).

Trains a Hugging Face model folder (the one Kamado's init-model wrote) on a JSON Lines file, --batch rows per step,
AdamW + cosine schedule + clipping at 1.0, for --steps optimizer steps on --threads CPU threads.

--format text: the file's documents tokenised with the model's tokenizer.json, an end token after each, concatenated
and cut into rows of --seq tokens, as transformers' run_clm does.
--format chat: supervised fine-tuning as users run it with transformers: each {"messages": [...]} rendered with the
model's chat template (apply_chat_template), labels only on the assistant contents and the token ending each assistant
turn (-100 elsewhere), one example per row padded to the longest row of the batch (attention_mask), batches from
transformers' LengthGroupedSampler (what Trainer(group_by_length=True) uses) with --group-by-length, else a plain
seeded shuffle. The model computes logits for every position, as transformers does.

Prints one JSON line: tokens_per_second (real, non-padding tokens per second of training steps: forward, backward,
clipping, optimizer; model loading excluded, like the Kamado figure), tokens, padded_tokens, steps, seconds,
cpu_seconds and tokens_per_cpu_second (the main thread's CPU time over the same steps: with one torch thread every
operation runs on it, so this figure does not move when other processes compete for the cores), peak_rss_mb
(ru_maxrss), versions. Test/bench tooling only; never part of an image.
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
    ap.add_argument("--format", default="text", choices=["text", "chat"])
    ap.add_argument("--group-by-length", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    import transformers
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM, get_cosine_schedule_with_warmup

    cfg = json.load(open(os.path.join(args.model, "config.json")))
    if args.format == "chat":
        batches = chat_batches(args, cfg, torch)
    else:
        batches = text_batches(args, cfg, torch, Tokenizer)

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
    padded = 0
    start = time.perf_counter()
    cpu_start = time.thread_time()
    for s in range(args.steps):
        batch = batches[s % len(batches)]
        out = model(**batch)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        mask = batch.get("attention_mask")
        tokens += int(mask.sum()) if mask is not None else batch["input_ids"].numel()
        padded += batch["input_ids"].numel()
    seconds = time.perf_counter() - start
    cpu_seconds = time.thread_time() - cpu_start
    print(json.dumps({
        "tokens_per_second": tokens / seconds, "tokens": tokens, "padded_tokens": padded, "steps": args.steps,
        "seconds": seconds, "cpu_seconds": cpu_seconds, "tokens_per_cpu_second": tokens / cpu_seconds,
        "final_loss": float(out.loss), "trainable_parameters": sum(p.numel() for p in params),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__,
                     "transformers": transformers.__version__},
    }))


def text_batches(args, cfg, torch, Tokenizer):
    """Rows of --seq tokens cut from the concatenated documents; every token a label (the model shifts)."""
    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
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
    out = []
    for s in range(args.steps):
        ids = torch.tensor(rows[s * args.batch:(s + 1) * args.batch], dtype=torch.long)
        out.append({"input_ids": ids, "labels": ids})
    return out


def chat_batches(args, cfg, torch):
    """Padded SFT batches of chat examples, labels on the assistant turns, in (length-grouped) sampler order."""
    from transformers import AutoTokenizer
    from transformers.trainer_pt_utils import LengthGroupedSampler
    tok = AutoTokenizer.from_pretrained(args.model)
    pad = cfg.get("pad_token_id")
    pad = 0 if pad is None else pad
    examples = []
    with open(args.data, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            messages = json.loads(line)["messages"]
            text = tok.apply_chat_template(messages, tokenize=False)
            enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
            # character spans of the assistant contents plus what ends their turn (up to the next newline)
            spans = []
            pos = 0
            for m in messages:
                at = text.find(m["content"], pos)
                if at < 0:
                    continue
                end = at + len(m["content"])
                if m["role"] == "assistant":
                    nl = text.find("\n", end)
                    spans.append((at, len(text) if nl < 0 else nl))
                pos = end
            ids = enc["input_ids"]
            labels = [t if any(a <= o[0] < b for a, b in spans) else -100 for t, o in zip(ids, enc["offset_mapping"])]
            examples.append((ids, labels))
    generator = torch.Generator().manual_seed(args.seed)
    if args.group_by_length:
        order = list(LengthGroupedSampler(args.batch, lengths=[len(e[0]) for e in examples], generator=generator))
    else:
        order = torch.randperm(len(examples), generator=generator).tolist()
    out = []
    for s in range(0, len(order) - args.batch + 1, args.batch):
        rows = [examples[i] for i in order[s:s + args.batch]]
        width = max(len(r[0]) for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, (i, l) in enumerate(rows):
            ids[r, :len(i)] = torch.tensor(i)
            labels[r, :len(l)] = torch.tensor(l)
            mask[r, :len(i)] = 1
        out.append({"input_ids": ids, "attention_mask": mask, "labels": labels})
    return out


if __name__ == "__main__":
    main()
