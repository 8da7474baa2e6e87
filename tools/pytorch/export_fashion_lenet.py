#!/usr/bin/env python3
"""Exports PyTorch models as safetensors files with golden logits, for the C# checkpoint tests.

Run:  /usr/bin/python3 tools/pytorch/export_fashion_lenet.py   (needs PyTorch: apt-get install python3-torch)

Writes to tests/Unit/Facade/Checkpoints/data/:
  fashion_lenet.safetensors   state_dict of the Fashion-MNIST LeNet (nn.Sequential, names 0.weight .. 9.bias)
  fashion_lenet.golden.json   4 fixed input images [4, 1, 28, 28] and the model's logits [4, 10]
  tiny_bn.safetensors         state_dict of a small conv + BatchNorm2d model after 3 training-mode passes
                              (so running_mean / running_var are not their initial 0 / 1), including the
                              int64 scalar 1.num_batches_tracked
  tiny_bn.golden.json         4 fixed inputs [4, 1, 8, 8] and the eval-mode logits [4, 3]

The safetensors package is not used: the file is written here with struct and json, following the format:
an 8-byte little-endian header length N, N bytes of UTF-8 JSON (padded with spaces to a multiple of 8), then
the tensors' bytes, contiguous, row-major, little-endian, at data_offsets relative to the end of the header.
The C# tests never run Python.
"""
import json
import os
import struct

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Unit", "Facade", "Checkpoints", "data")

DTYPES = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}


def save_safetensors(path, state_dict, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, t in state_dict.items():
        code, np_dtype = DTYPES[t.dtype]
        data = t.detach().contiguous().cpu().numpy().astype(np_dtype).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def floats(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def save_golden(path, description, x, logits):
    with open(path, "w") as f:
        json.dump({"description": description,
                   "input": {"shape": list(x.shape), "data": floats(x)},
                   "logits": {"shape": list(logits.shape), "data": floats(logits)}}, f)


def fashion_lenet():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    model.eval()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(4, 1, 28, 28, generator=g)
    with torch.no_grad():
        logits = model(x)
    save_safetensors(os.path.join(OUT, "fashion_lenet.safetensors"), model.state_dict(),
                     {"source": "tools/pytorch/export_fashion_lenet.py", "torch": torch.__version__})
    save_golden(os.path.join(OUT, "fashion_lenet.golden.json"),
                "fashion LeNet, torch.manual_seed(0) init; input torch.rand(4,1,28,28) with generator seed 1; eval logits",
                x, logits)


def tiny_bn():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    with torch.no_grad():
        model[1].weight.copy_(torch.rand(4) + 0.5)
        model[1].bias.copy_(torch.randn(4) * 0.5)
    g = torch.Generator().manual_seed(2)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(5, 1, 8, 8, generator=g) * 2 + 1)
    model.eval()
    x = torch.randn(4, 1, 8, 8, generator=g)
    with torch.no_grad():
        logits = model(x)
    save_safetensors(os.path.join(OUT, "tiny_bn.safetensors"), model.state_dict(),
                     {"source": "tools/pytorch/export_fashion_lenet.py"})
    save_golden(os.path.join(OUT, "tiny_bn.golden.json"),
                "Conv2d(1,4,3) BatchNorm2d(4) ReLU Flatten Linear(144,3); 3 training passes; eval logits",
                x, logits)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    fashion_lenet()
    tiny_bn()
