#!/usr/bin/env bash
# End-to-end check of the reference tooling: venv, tiny llama + qwen2 models
# (plain, sharded bf16, with a LoRA adapter), reference logits, determinism
# (same seed -> identical safetensors/tokenizer bytes and identical logits).
# Usage: hack/reference/selftest.sh [WORKDIR]   (default: a fresh temp dir)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="$("$HERE/setup-venv.sh" | tail -n 1)"
if [ $# -ge 1 ]; then W="$1"; else W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT; fi
mkdir -p "$W"
echo "python: $PY"
echo "workdir: $W"
fail() { echo "SELFTEST FAILED: $*" >&2; exit 1; }
sums() { (cd "$1" && sha256sum $(ls | grep -E '\.(safetensors|json)$' | sort)); }

for arch in llama qwen2; do
  for run in a b; do
    "$PY" "$HERE/make_tiny_model.py" --arch "$arch" --seed 7 --out "$W/$arch-$run" \
      --lora-out "$W/$arch-$run-lora" >/dev/null
  done
  "$PY" "$HERE/make_tiny_model.py" --arch "$arch" --seed 8 --out "$W/$arch-other" >/dev/null
  diff <(sums "$W/$arch-a") <(sums "$W/$arch-b") >/dev/null \
    || fail "$arch: same seed gave different files"
  diff <(sums "$W/$arch-a-lora" | grep safetensors) <(sums "$W/$arch-b-lora" | grep safetensors) \
    >/dev/null || fail "$arch: same seed gave different LoRA adapters"
  cmp -s "$W/$arch-a/model.safetensors" "$W/$arch-other/model.safetensors" \
    && fail "$arch: different seeds gave identical weights"
  echo "$arch: same seed -> identical files: $(sums "$W/$arch-a" | grep model.safetensors)"

  for run in a b; do
    "$PY" "$HERE/reference_logits.py" --model "$W/$arch-$run" --prompt-ids 3,100,200,300,400 \
      --greedy 8 --out "$W/$arch-$run.json" >/dev/null
  done
  "$PY" - "$W/$arch-a.json" "$W/$arch-b.json" <<'EOF' || fail "$arch: logits differ between runs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["logits"] == b["logits"] and a["greedy_ids"] == b["greedy_ids"], "differ"
assert a["greedy_consistent"], "generate() != no-cache recomputation"
assert len(a["logits"]) == 5 and len(a["logits"][0]) == a["vocab_size"]
print(f"  logits {len(a['logits'])}x{a['vocab_size']} identical; greedy {a['greedy_ids']}; "
      f"versions {a['versions']}")
EOF

  # same model as sharded bfloat16 checkpoint -> must load and give close logits
  "$PY" "$HERE/make_tiny_model.py" --arch "$arch" --seed 7 --out "$W/$arch-bf16" \
    --dtype bfloat16 --max-shard-size 50KB >/dev/null
  [ -f "$W/$arch-bf16/model.safetensors.index.json" ] || fail "$arch: no shard index"
  "$PY" "$HERE/reference_logits.py" --model "$W/$arch-bf16" --prompt-ids 3,100,200,300,400 \
    --out "$W/$arch-bf16.json" >/dev/null
  echo "  sharded bf16: $(ls "$W/$arch-bf16" | grep -c 'model-.*safetensors') shards"

  # LoRA adapter on top: unmerged and merged must agree, and differ from the base
  "$PY" "$HERE/reference_logits.py" --model "$W/$arch-a" --adapter "$W/$arch-a-lora" \
    --prompt-ids 3,100,200,300,400 --greedy 4 --out "$W/$arch-lora.json" >/dev/null
  "$PY" "$HERE/reference_logits.py" --model "$W/$arch-a" --adapter "$W/$arch-a-lora" \
    --merge-adapter --prompt-ids 3,100,200,300,400 --out "$W/$arch-lora-merged.json" >/dev/null
  "$PY" - "$W/$arch-a.json" "$W/$arch-lora.json" "$W/$arch-lora-merged.json" <<'EOF' \
    || fail "$arch: LoRA check"
import json, sys
import numpy as np
base, lora, merged = (np.array(json.load(open(p))["logits"]) for p in sys.argv[1:4])
d = np.abs(lora - base).max()
m = np.abs(lora - merged).max()
assert d > 1e-3, f"adapter had no effect ({d})"
assert m < 1e-4, f"merged != unmerged ({m})"
print(f"  LoRA: max |lora-base| = {d:.4g}, max |merged-unmerged| = {m:.2g}")
EOF
done
echo "reference selftest: 2 passed, 0 failed"
