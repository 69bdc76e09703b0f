#!/usr/bin/env python3
"""Reference sentence embeddings for tests/fixtures/embeddings.json, computed independently of
candle: a plain numpy forward pass of BERT over the *f32* weights, the tokenizer of the
`tokenizers` Python package, and sentence-transformers' pooling (mean over tokens, then L2
normalisation). The Rust test checks the bot's f16-stored, f32-computed embeddings against these.

    pip install numpy tokenizers
    python3 models/reference_vectors.py F32_DIR runclub-minilm > tests/fixtures/embeddings.json

F32_DIR holds the f32 weights `models/finetune.py` wrote (with the tokenizer.json beside them).
"""
import json
import math
import struct
import sys

import numpy as np
from tokenizers import Tokenizer

TEXTS = [
    "does rolling my quads the night before a 10k actually do anything",
    "legs absolutely wrecked since the hill session on tuesday, roller or rest?",
    "ITB feels tight as a guitar string, can i loosen it",
    "who's bringing the cake for the club social on friday",
    "warm up ideas for a cold morning track session?",
    "Is it true that spiky rollers get deeper into the fascia? 🤔",
    "x",
    # Longer than the model's window: truncated at 256 tokens, as the bot does.
    " ".join(["my knee has been grumbling on long runs and I keep rolling it"] * 60),
]
MAX_TOKENS = 256


def load(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(meta["shape"]).astype(np.float64)
    return out


def layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def embed(w, ids):
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids]
    x = x + w["embeddings.position_embeddings.weight"][:n] + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    heads, d = 12, 32
    for i in range(6):
        p = f"encoder.layer.{i}."
        lin = lambda h, name: h @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        q = lin(x, "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, heads * d)
        x = layer_norm(x + lin(ctx, "attention.output.dense"),
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    v = x.mean(0)
    return v / np.linalg.norm(v)


def main(model_dir):
    w = load(model_dir + "/model.safetensors")
    tok = Tokenizer.from_file(model_dir + "/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(MAX_TOKENS)
    cases = []
    for text in TEXTS:
        ids = tok.encode(text).ids
        cases.append({"text": text, "tokens": len(ids),
                      "vector": [round(float(x), 7) for x in embed(w, ids)]})
    name = sys.argv[2] if len(sys.argv) > 2 else "all-MiniLM-L6-v2"
    json.dump({"model": f"{name} (f32, numpy reference)", "cases": cases}, sys.stdout)
    print()


if __name__ == "__main__":
    main(sys.argv[1])
