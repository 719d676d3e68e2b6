#!/usr/bin/env python3
"""Reference logits + greedy tokens from a local model folder with transformers.

Test tooling only (Kamado reference checks). Loads the folder (never a hub id)
in float32 on CPU, optionally with a local PEFT LoRA adapter on top, and writes
JSON with:
  logits      [T][V] last-layer logits for every prompt position (float32
              values written as JSON numbers; they round-trip exactly)
  greedy_ids  N token ids from model.generate(do_sample=False); EOS does NOT
              stop generation unless --stop-at-eos, so exactly N ids come back
  greedy_check_ids  the same N ids recomputed without KV cache (full forward
              per step, argmax); greedy_consistent tells whether they agree
  versions    python / torch / transformers / peft / safetensors

Run it with the reference venv:  $(hack/reference/setup-venv.sh) reference_logits.py ...
"""
import argparse
import json
import os
import platform
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="local model folder")
    p.add_argument("--prompt-ids", required=True, help="comma-separated token ids, e.g. 1,2,3")
    p.add_argument("--greedy", type=int, default=0, help="number of greedy tokens to generate")
    p.add_argument("--out", required=True, help="output JSON file")
    p.add_argument("--adapter", default=None, help="local PEFT LoRA adapter folder")
    p.add_argument("--merge-adapter", action="store_true",
                   help="merge the LoRA weights into the base model before running")
    p.add_argument("--attn", default="eager", choices=["eager", "sdpa"],
                   help="attention implementation (eager = plain math reference)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (1 = reproducible reduction order)")
    p.add_argument("--stop-at-eos", action="store_true",
                   help="let generate() stop at the model's EOS token")
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    if not os.path.isdir(a.model):
        raise SystemExit(f"--model must be a local folder: {a.model}")
    if a.adapter and not os.path.isdir(a.adapter):
        raise SystemExit(f"--adapter must be a local folder: {a.adapter}")
    try:
        prompt = [int(x) for x in a.prompt_ids.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"--prompt-ids must be comma-separated integers: {a.prompt_ids}")
    if not prompt:
        raise SystemExit("--prompt-ids is empty")

    import safetensors
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)

    kw = dict(local_files_only=True, attn_implementation=a.attn)
    try:  # transformers >= 4.56 calls it `dtype`
        model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, **kw)
    except TypeError:
        model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=torch.float32, **kw)
    model = model.float()  # bf16 checkpoints are upcast: the reference runs in float32

    peft_version = None
    if a.adapter:
        import peft
        from peft import PeftModel

        peft_version = peft.__version__
        model = PeftModel.from_pretrained(model, a.adapter, is_trainable=False)
        if a.merge_adapter:
            model = model.merge_and_unload()
    model.eval()

    vocab = model.config.vocab_size if not a.adapter or a.merge_adapter \
        else model.base_model.model.config.vocab_size
    bad = [t for t in prompt if t < 0 or t >= vocab]
    if bad:
        raise SystemExit(f"prompt ids out of range [0, {vocab}): {bad}")

    ids = torch.tensor([prompt], dtype=torch.long)
    with torch.no_grad():
        logits = model(input_ids=ids, use_cache=False).logits[0].float()

        greedy, check = [], []
        if a.greedy > 0:
            if not a.stop_at_eos:
                # generate() fills unset fields from model.generation_config, so
                # clear EOS there too, or it would still stop at EOS
                model.generation_config.eos_token_id = None
            gen_cfg = transformers.GenerationConfig(
                do_sample=False, num_beams=1, max_new_tokens=a.greedy, min_new_tokens=0,
                eos_token_id=model.generation_config.eos_token_id,
                pad_token_id=model.generation_config.pad_token_id
                if model.generation_config.pad_token_id is not None else 0,
                temperature=None, top_p=None, top_k=None,
            )
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                 generation_config=gen_cfg)
            greedy = out[0, len(prompt):].tolist()
            # independent recomputation: full forward per step, no KV cache
            seq = list(prompt)
            for _ in range(len(greedy)):
                nxt = int(model(input_ids=torch.tensor([seq]), use_cache=False)
                          .logits[0, -1].argmax())
                check.append(nxt)
                seq.append(nxt)
            if not a.stop_at_eos and len(greedy) != a.greedy:
                raise SystemExit(f"generate() returned {len(greedy)} tokens, expected {a.greedy}")

    result = {
        "model": os.path.abspath(a.model),
        "adapter": os.path.abspath(a.adapter) if a.adapter else None,
        "adapter_merged": bool(a.adapter and a.merge_adapter),
        "prompt_ids": prompt,
        "dtype": "float32",
        "attn_implementation": a.attn,
        "vocab_size": int(logits.shape[-1]),
        "logits": logits.tolist(),
        "argmax": logits.argmax(-1).tolist(),
        "greedy_ids": greedy,
        "greedy_check_ids": check,
        "greedy_consistent": greedy == check,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft_version,
            "safetensors": safetensors.__version__,
        },
    }
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f)
        f.write("\n")
    os.replace(tmp, a.out)
    summary = {k: result[k] for k in ("prompt_ids", "argmax", "greedy_ids", "greedy_consistent")}
    summary["out"] = a.out
    print(json.dumps(summary))
    if greedy != check:
        print("WARNING: generate() and the no-cache recomputation disagree "
              "(near-tie in the logits?)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
