#!/usr/bin/env python3
"""Build a tiny random Llama / Qwen2 causal LM plus a tiny local BPE tokenizer.

Test tooling only (Kamado reference checks): nothing is downloaded from a model
hub. The model is built from a config with random weights; the tokenizer is a
byte-level BPE trained here with the `tokenizers` library on a small built-in
Japanese + English sample. Output is deterministic for a given --seed and
arguments (same safetensors bytes, same tokenizer.json).

Run it with the reference venv:  $(hack/reference/setup-venv.sh) make_tiny_model.py ...

Weights are initialised explicitly (not by transformers' own _init_weights, so
the bytes do not depend on the transformers version): every matrix ~ N(0, std),
with std = --init-std (default 0.3, larger than transformers' 0.02 so that tiny
models give varied greedy output); unless --plain-init, RMSNorm weights
~ 1 + N(0, 0.1) and biases ~ N(0, std)
so that a Java implementation that ignores a norm weight or a bias is caught.
"""
import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Small bilingual sample for training the tokenizer (kept in the script so the
# result never depends on files outside it).
CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Kamado fine-tunes and serves small language models on Kubernetes.",
    "A tiny model is enough to check that two implementations agree.",
    "Please answer in JSON: {\"name\": \"Taro\", \"age\": 42, \"ok\": true}",
    "The operator reconciles the desired state with the actual state of the cluster.",
    "Training resumes exactly from the last checkpoint after a restart.",
    "Hello, world! How are you today? I am fine, thank you.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14 -7 2025",
    "def add(a, b):\n    return a + b\n",
    "Tokens are pieces of text; the model predicts the next token.",
    "吾輩は猫である。名前はまだ無い。",
    "どこで生れたかとんと見当がつかぬ。",
    "今日は良い天気ですね。散歩に行きましょう。",
    "東京は日本の首都です。大阪は西にあります。",
    "小さなモデルで計算が正しいか確かめます。",
    "このオペレーターはクラスタ上でモデルを学習させ、提供します。",
    "日本語と英語の両方を含む短い文章です。",
    "質問に日本語で答えてください。はい、わかりました。",
    "ありがとうございます。よろしくお願いします。",
    "機械学習、自然言語処理、トークナイザー、推論サーバー。",
    "カタカナ、ひらがな、漢字、そしてEnglish wordsが混ざります。",
    "学習率は0.0001、バッチサイズは8、エポック数は3です。",
    "Kubernetes の Pod が Running になるまで待ちます。",
    "昔々、ある所にお爺さんとお婆さんが住んでいました。",
    "春はあけぼの。やうやう白くなりゆく山ぎは、すこしあかりて。",
]

ARCH = {
    # special tokens, whether BOS is prepended, chat template, default tying
    "llama": {
        "specials": ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                     "<|end_header_id|>", "<|eot_id|>"],
        "bos": "<|begin_of_text|>", "eos": "<|eot_id|>", "pad": "<|end_of_text|>",
        "add_bos": True,
        "tied": False,
        "chat_template": (
            "{{ bos_token }}{% for message in messages %}"
            "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
            " + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
            "{% if add_generation_prompt %}"
            "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
        ),
    },
    "qwen2": {
        "specials": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        "bos": None, "eos": "<|im_end|>", "pad": "<|endoftext|>",
        "add_bos": False,
        "tied": True,
        "chat_template": (
            "{% for message in messages %}"
            "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
            "{% endfor %}"
            "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
        ),
    },
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", choices=sorted(ARCH), required=True)
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--vocab", type=int, default=512,
                   help="model vocab_size; the tokenizer is trained up to this size")
    p.add_argument("--intermediate", type=int, default=128)
    p.add_argument("--max-position", type=int, default=512)
    p.add_argument("--rope-theta", type=float, default=10000.0)
    p.add_argument("--rms-eps", type=float, default=1e-6)
    p.add_argument("--rope-llama3", action="store_true",
                   help="llama only: rope_scaling of type llama3 (factor 8, low 1, high 4, original context 64)")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    p.add_argument("--init-std", type=float, default=0.3,
                   help="std of the random weights (transformers uses 0.02; with that, tiny "
                        "tied-embedding models just echo the input token)")
    p.add_argument("--plain-init", action="store_true",
                   help="norm weights = 1 and biases = 0 (transformers' default init)")
    tie = p.add_mutually_exclusive_group()
    tie.add_argument("--tied", dest="tied", action="store_true", default=None,
                     help="tie lm_head to embed_tokens (default for qwen2)")
    tie.add_argument("--untied", dest="tied", action="store_false",
                     help="separate lm_head (default for llama)")
    p.add_argument("--max-shard-size", default=None,
                   help="e.g. 100KB: write sharded model-0000X-of-0000N.safetensors + index")
    p.add_argument("--lora-out", default=None,
                   help="also write a random PEFT LoRA adapter for this model to this folder")
    p.add_argument("--lora-rank", type=int, default=4)
    p.add_argument("--lora-alpha", type=float, default=8.0)
    p.add_argument("--lora-targets", default="q_proj,k_proj,v_proj,o_proj")
    return p.parse_args(argv)


def train_tokenizer(arch, vocab_size):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    spec = ARCH[arch]
    tok = Tokenizer(models.BPE())  # no unk token: byte-level covers every input
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=spec["specials"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    if spec["add_bos"]:
        bos = spec["bos"]
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B",
            special_tokens=[(bos, tok.token_to_id(bos))])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    if tok.get_vocab_size() > vocab_size:
        raise SystemExit(f"tokenizer vocab {tok.get_vocab_size()} > --vocab {vocab_size}")
    if tok.get_vocab_size() < 256 + len(spec["specials"]):
        raise SystemExit(f"--vocab {vocab_size} too small for a byte-level BPE")
    return tok


def write_tokenizer(tok, arch, out):
    spec = ARCH[arch]
    tok.save(os.path.join(out, "tokenizer.json"), pretty=True)
    cfg = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": spec["bos"],
        "eos_token": spec["eos"],
        "pad_token": spec["pad"],
        "unk_token": None,
        "add_bos_token": spec["add_bos"],
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 131072,
        "chat_template": spec["chat_template"],
        "added_tokens_decoder": {
            str(tok.token_to_id(t)): {"content": t, "lstrip": False, "rstrip": False,
                                      "normalized": False, "single_word": False,
                                      "special": True}
            for t in spec["specials"]
        },
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=2, sort_keys=True)
        f.write("\n")
    smap = {k: spec[k[:-6]] for k in ("bos_token", "eos_token", "pad_token") if spec[k[:-6]]}
    with open(os.path.join(out, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(smap, f, ensure_ascii=False, indent=2, sort_keys=True)
        f.write("\n")


def build_config(a, tok, tied):
    import transformers

    spec = ARCH[a.arch]
    common = dict(
        vocab_size=a.vocab,
        hidden_size=a.hidden,
        intermediate_size=a.intermediate,
        num_hidden_layers=a.layers,
        num_attention_heads=a.heads,
        num_key_value_heads=a.kv_heads,
        max_position_embeddings=a.max_position,
        rope_theta=a.rope_theta,
        rms_norm_eps=a.rms_eps,
        hidden_act="silu",
        initializer_range=a.init_std,
        tie_word_embeddings=tied,
        bos_token_id=tok.token_to_id(spec["bos"]) if spec["bos"] else None,
        eos_token_id=tok.token_to_id(spec["eos"]),
        pad_token_id=tok.token_to_id(spec["pad"]),
        use_cache=True,
    )
    if a.hidden % a.heads or a.heads % a.kv_heads:
        raise SystemExit("--hidden must be divisible by --heads, and --heads by --kv-heads")
    if a.rope_llama3:
        if a.arch != "llama":
            raise SystemExit("--rope-llama3 is for --arch llama")
        common["rope_scaling"] = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 64}
    if a.arch == "llama":
        return transformers.LlamaConfig(attention_bias=False, mlp_bias=False, **common)
    return transformers.Qwen2Config(use_sliding_window=False, max_window_layers=a.layers, **common)


def init_weights(model, seed, std, plain):
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        # sorted by name: independent of module registration order
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            if name.endswith("norm.weight"):
                val = torch.ones(p.shape) if plain else 1.0 + 0.1 * torch.randn(p.shape, generator=gen)
            elif name.endswith(".bias"):
                val = torch.zeros(p.shape) if plain else std * torch.randn(p.shape, generator=gen)
            else:
                val = std * torch.randn(p.shape, generator=gen)
            p.copy_(val.to(p.dtype))


def make_lora(model, a):
    import torch
    from peft import LoraConfig, get_peft_model

    cfg = LoraConfig(r=a.lora_rank, lora_alpha=a.lora_alpha, lora_dropout=0.0, bias="none",
                     target_modules=[t for t in a.lora_targets.split(",") if t],
                     task_type="CAUSAL_LM")
    pm = get_peft_model(model, cfg)
    gen = torch.Generator().manual_seed(a.seed + 1)
    with torch.no_grad():
        # lora_B is zero-initialised by peft (adapter = no-op); make it non-zero
        for name, p in sorted(pm.named_parameters(), key=lambda kv: kv[0]):
            if "lora_" in name:
                p.copy_((0.05 * torch.randn(p.shape, generator=gen)).to(p.dtype))
    import warnings
    with warnings.catch_warnings():  # base model has no hub name/path: nothing to check
        warnings.filterwarnings("ignore", message="Could not find a config file")
        pm.save_pretrained(a.lora_out, safe_serialization=True)
    return pm


def main(argv=None):
    a = parse_args(argv)
    import torch
    import transformers

    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    spec = ARCH[a.arch]
    tied = spec["tied"] if a.tied is None else a.tied

    tok = train_tokenizer(a.arch, a.vocab)
    write_tokenizer(tok, a.arch, a.out)

    cfg = build_config(a, tok, tied)
    cls = transformers.LlamaForCausalLM if a.arch == "llama" else transformers.Qwen2ForCausalLM
    model = cls(cfg).to(torch.float32).eval()
    init_weights(model, a.seed, a.init_std, a.plain_init)
    if tied:
        model.tie_weights()
    dtype = getattr(torch, a.dtype)
    model = model.to(dtype)
    # transformers >= 4.56 names it `dtype` (and warns on `torch_dtype`)
    setattr(model.config, "dtype" if hasattr(model.config, "dtype") else "torch_dtype", dtype)
    kw = {"safe_serialization": True}
    if a.max_shard_size:
        kw["max_shard_size"] = a.max_shard_size
    model.save_pretrained(a.out, **kw)

    if a.lora_out:
        os.makedirs(a.lora_out, exist_ok=True)
        make_lora(model.to(torch.float32), a)

    files = sorted(os.listdir(a.out))
    print(json.dumps({
        "out": os.path.abspath(a.out), "arch": a.arch, "seed": a.seed, "dtype": a.dtype,
        "tied": tied, "vocab_size": a.vocab, "tokenizer_vocab": tok.get_vocab_size(),
        "params": sum(p.numel() for p in model.parameters()),
        "files": files, "lora_out": a.lora_out,
        "torch": torch.__version__, "transformers": transformers.__version__,
    }, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
