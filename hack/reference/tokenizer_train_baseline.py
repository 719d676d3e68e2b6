#!/usr/bin/env python3
"""Baseline for Kamado's BpeTrainer benchmark (bench tooling only): trains a byte-level
BPE with Python `tokenizers` (Rust) on the same corpus, with the same normalizer
(NFC), the same split regex and the same vocabulary size, and reports its time.

usage: tokenizer_train_baseline.py CORPUS_TXT VOCAB_SIZE SPLIT_REGEX OUT_DIR
prints one JSON line: {"seconds": ..., "vocab_size": ..., "threads": ...}
The corpus is fed line by line (line ends kept), as BpeTrainer.addFile does.
RAYON_NUM_THREADS (default 1 here) sets the trainer's threads.
"""
import json
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")


def main():
    corpus, vocab, regex, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    with open(corpus, encoding="utf-8") as f:
        lines = f.readlines()
    start = time.perf_counter()
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(regex), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2,
                                  special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(lines, trainer=trainer)
    seconds = time.perf_counter() - start
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))
    print(json.dumps({"seconds": seconds, "vocab_size": tok.get_vocab_size(),
                      "threads": os.environ["RAYON_NUM_THREADS"]}))


if __name__ == "__main__":
    sys.exit(main())
