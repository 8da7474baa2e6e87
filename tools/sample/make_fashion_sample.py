#!/usr/bin/env python3
"""Writes data/fashion-mnist-sample/: a class-balanced sample of Fashion-MNIST in the original IDX gzip format.

Run:  python3 tools/sample/make_fashion_sample.py [SOURCE_DIR]
      (SOURCE_DIR defaults to the first shared/datasets/fashion-mnist found beside the repository or one of
      its parent folders, else /usr/share/datasets/fashion-mnist from the Debian package dataset-fashion-mnist;
      it must hold the four original files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
      t10k-labels-idx1-ubyte.gz and LICENSE.txt.)

For each split and each of the 10 classes it keeps the PER_CLASS[split] images whose keys
sha256(f"{SEED}:{split}:{index}") are smallest, then writes the kept images in their original order. The
choice depends only on SEED and the source files (no library random generator whose stream could change
between Python versions), and the gzip streams carry no name and mtime 0, so the output is byte-identical
on every run. Standard library only.
"""
import gzip, hashlib, os, shutil, struct, sys

SEED = 20261121
PER_CLASS = {"train": 800, "t10k": 200}  # 8,000 training and 2,000 test images
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "data", "fashion-mnist-sample")


def default_source():
    folder = ROOT
    while True:
        candidate = os.path.join(folder, "shared", "datasets", "fashion-mnist")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return "/usr/share/datasets/fashion-mnist"
        folder = parent


SOURCE = sys.argv[1] if len(sys.argv) > 1 else default_source()


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    (m,) = struct.unpack(">I", data[:4])
    if m != magic:
        sys.exit(f"{path}: expected magic {magic:#010x} but found {m:#010x}")
    ndim = m & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def write_gz(path, payload):
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
        f.write(payload)


def sample(split):
    (n, rows, cols), pixels = read_idx(os.path.join(SOURCE, f"{split}-images-idx3-ubyte.gz"), 0x803)
    (nl,), labels = read_idx(os.path.join(SOURCE, f"{split}-labels-idx1-ubyte.gz"), 0x801)
    assert n == nl == len(labels) and len(pixels) == n * rows * cols
    key = lambda i: hashlib.sha256(f"{SEED}:{split}:{i}".encode()).digest()
    keep = []
    for c in range(10):
        members = sorted((i for i in range(n) if labels[i] == c), key=key)
        if len(members) < PER_CLASS[split]:
            sys.exit(f"{split}: class {c} has only {len(members)} images")
        keep.extend(members[:PER_CLASS[split]])
    keep.sort()
    size = rows * cols
    img = b"".join(pixels[i * size:(i + 1) * size] for i in keep)
    lab = bytes(labels[i] for i in keep)
    write_gz(os.path.join(OUT, f"{split}-images-idx3-ubyte.gz"), struct.pack(">IIII", 0x803, len(keep), rows, cols) + img)
    write_gz(os.path.join(OUT, f"{split}-labels-idx1-ubyte.gz"), struct.pack(">II", 0x801, len(keep)) + lab)
    return len(keep)


os.makedirs(OUT, exist_ok=True)
counts = {split: sample(split) for split in PER_CLASS}
shutil.copyfile(os.path.join(SOURCE, "LICENSE.txt"), os.path.join(OUT, "LICENSE.txt"))
total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if f.endswith(".gz"))
print(f"wrote {counts['train']} training and {counts['t10k']} test images to {OUT}; gzip files total {total} bytes")
