#!/usr/bin/env python3
"""Reference tokenization for Kamado's Java tokenizer checks (test tooling only).

Reads a JSON request (file path as the only argument, or stdin) and prints a JSON
answer computed with Python `tokenizers` and `transformers` (offline, local files
only):

request:
  {"models": ["/path/to/model_dir" or {"dir": "/path", "templates": {"name": "<jinja source>"}}, ...],
   "texts": ["...", ...],
   "chats": [[{"role": "user", "content": "..."}, ...], ...]}
  (templates: extra chat templates rendered with that model's tokenizer, optional)

answer, per model dir (same order):
  {"dir": ..., "vocab_size": N,
   "encode": [[ids with add_special_tokens=False], ...],     # transformers AutoTokenizer
   "encode_special": [[ids with add_special_tokens=True], ...],
   "raw_encode": [[ids], ...],                               # tokenizers.Tokenizer, no specials
   "decode": ["decode(encode_special, skip_special_tokens=False)", ...],
   "pre_tokenize": [["piece", ...], ...],                    # tokenizer.json pre-tokenizer pieces
   "chat": [{"gen": "...", "nogen": "..."}, ...],            # apply_chat_template(tokenize=False)
   "template_chat": {"name": [{"gen": ..., "nogen": ...}, ...]}}
  A template that raises gives null plus "gen_error"/"nogen_error" with the message.
"""
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def render(tok, chat, template):
    out = {}
    for key, gen in (("gen", True), ("nogen", False)):
        try:
            out[key] = tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=gen,
                                               chat_template=template)
        except Exception as e:  # the Java side must refuse the same conversation
            out[key] = None
            out[key + "_error"] = f"{type(e).__name__}: {e}"
    return out


def main():
    import tokenizers
    import transformers
    from transformers import AutoTokenizer

    req = json.load(open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin)
    answers = []
    for m in req["models"]:
        d = m if isinstance(m, str) else m["dir"]
        templates = {} if isinstance(m, str) else m.get("templates", {})
        tok = AutoTokenizer.from_pretrained(d, local_files_only=True)
        raw = tokenizers.Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        texts = req.get("texts", [])
        enc_special = [tok.encode(t, add_special_tokens=True) for t in texts]
        a = {
            "dir": d,
            "vocab_size": len(tok),
            "encode": [tok.encode(t, add_special_tokens=False) for t in texts],
            "encode_special": enc_special,
            "raw_encode": [raw.encode(t, add_special_tokens=False).ids for t in texts],
            "decode": [tok.decode(ids, skip_special_tokens=False) for ids in enc_special],
            "pre_tokenize": [[p for p, _ in raw.pre_tokenizer.pre_tokenize_str(raw.normalizer.normalize_str(t)
                                                                             if raw.normalizer else t)]
                             if raw.pre_tokenizer else [] for t in texts],
            "chat": [render(tok, c, None) if tok.chat_template else None for c in req.get("chats", [])],
            "template_chat": {name: [render(tok, c, src) for c in req.get("chats", [])]
                              for name, src in templates.items()},
        }
        answers.append(a)
    json.dump({"models": answers, "versions": {"tokenizers": tokenizers.__version__,
                                               "transformers": transformers.__version__}},
              sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
