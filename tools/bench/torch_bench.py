"""PyTorch side of the end-to-end benchmark (bench/Cnn.Benchmarks `e2e`).

Reads JSON lines on stdin: first the settings {"threads": n, "warmup": w, "reps": r, "window_ms": ms, "cpu_time": b},
answered with {"torch": version, "threads": n}; then one case per line, each as the C# side describes it (kind,
shapes, settings), answered with one line {"name", "median_ms", "times_ms"} measured on the same shapes, batch and
thread count as the C# side. When stdin closes it writes {"peak_rss_mb": ...} and exits.
Timing: w untimed warm-up runs, then r or more timed runs (as many as fill "window_ms" by the last warm-up run's
time, up to 20 r); the median is reported. With "cpu_time": true the process CPU time (all threads) is measured
instead of wall-clock time, as the C# side does.
The "fashion_epoch" case instead trains one epoch of the Fashion-MNIST default recipe after w untimed warm-up
steps, timed once by the wall clock, and adds "test_accuracy" to its result; that epoch starts from the C# side's
initial parameters and visits the images in its order, so the two accuracies differ only by float32 rounding.
"""
import base64
import gzip
import json
import math
import os
import statistics
import struct
import sys
import time

os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402


def timed(fn, warmup, reps, clock, window_ms=0.0, max_factor=20):
    """Times of the timed runs of fn, after warmup untimed ones: at least reps, as many as fill window_ms by the
    wall clock of the last warm-up run, at most max_factor * reps (as the C# side's Runner.Repetitions)."""
    last = 0.0
    for _ in range(warmup):
        t0 = time.perf_counter()
        fn()
        last = (time.perf_counter() - t0) * 1000.0
    reps = int(min(max(math.ceil(window_ms / max(last, 1e-3)), reps), max_factor * reps))
    times = []
    for _ in range(reps):
        t0 = clock()
        fn()
        times.append((clock() - t0) * 1000.0)
    return times


def randn(*shape, dtype="float32"):
    return torch.randn(*shape, dtype=getattr(torch, dtype))


def matmul_case(c):
    n, dtype = c["n"], c.get("dtype", "float32")
    a, b = randn(n, n, dtype=dtype), randn(n, n, dtype=dtype)
    if c.get("out"):
        out = torch.empty(n, n, dtype=getattr(torch, dtype))
        return lambda: torch.mm(a, b, out=out)
    return lambda: torch.mm(a, b)


def conv_case(c, backward):
    dtype = c.get("dtype", "float32")
    x = randn(c["batch"], c["cin"], c["h"], c["w"], dtype=dtype)
    w = randn(c["cout"], c["cin"] // c["groups"], c["k"], c["k"], dtype=dtype)
    kw = dict(stride=c["stride"], padding=c["pad"], groups=c["groups"])
    if not backward:
        def fwd():
            with torch.no_grad():
                F.conv2d(x, w, None, **kw)
        return fwd
    x.requires_grad_(True)
    w.requires_grad_(True)
    ho = (c["h"] + 2 * c["pad"] - c["k"]) // c["stride"] + 1
    wo = (c["w"] + 2 * c["pad"] - c["k"]) // c["stride"] + 1
    gy = randn(c["batch"], c["cout"], ho, wo, dtype=dtype)

    def fwd_bwd():
        x.grad = None
        w.grad = None
        F.conv2d(x, w, None, **kw).backward(gy)
    return fwd_bwd


def uniform(shape, fan_in):
    bound = 1.0 / fan_in ** 0.5
    return (torch.rand(*shape) * 2 - 1) * bound


def cifar_params():
    return [uniform((32, 3, 3, 3), 27), uniform((32,), 27),
            uniform((64, 32, 3, 3), 288), uniform((64,), 288),
            uniform((512, 4096), 4096), uniform((512,), 4096),
            uniform((10, 512), 512), uniform((10,), 512)]


def cifar_forward(p, x, _state):
    w1, b1, w2, b2, w3, b3, w4, b4 = p
    h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=1)), 2)
    h = F.relu(F.linear(torch.flatten(h, 1), w3, b3))
    return F.linear(h, w4, b4)


def resnet_params():
    ps = [uniform((32, 3, 3, 3), 27), torch.ones(32), torch.zeros(32)]
    for _ in range(2):
        for _ in range(2):
            ps += [uniform((32, 32, 3, 3), 288), torch.ones(32), torch.zeros(32)]
    ps += [uniform((64, 32, 3, 3), 288), uniform((64,), 288), uniform((10, 64), 64), uniform((10,), 64)]
    return ps


def resnet_forward(p, x, state):
    def bn(h, i, g, b):
        return F.batch_norm(h, state[i][0], state[i][1], g, b, training=True, momentum=0.1, eps=1e-5)
    h = F.relu(bn(F.conv2d(x, p[0], None, padding=1), 0, p[1], p[2]))
    for blk in range(2):
        base = 3 + blk * 6
        t = F.relu(bn(F.conv2d(h, p[base], None, padding=1), 1 + blk * 2, p[base + 1], p[base + 2]))
        t = bn(F.conv2d(t, p[base + 3], None, padding=1), 2 + blk * 2, p[base + 4], p[base + 5])
        h = F.relu(h + t)
    h = F.max_pool2d(h, 2)
    h = F.relu(F.conv2d(h, p[15], p[16], padding=1))
    h = torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)
    return F.linear(h, p[17], p[18])


def train_case(c):
    batch = c["batch"]
    params, forward, bns = (cifar_params(), cifar_forward, 0) if c["net"] == "cifar" else (resnet_params(), resnet_forward, 5)
    for p in params:
        p.requires_grad_(True)
    state = [(torch.zeros(32), torch.ones(32)) for _ in range(bns)]
    x = randn(batch, 3, 32, 32)
    labels = torch.randint(0, 10, (batch,))
    lr = 0.01

    def step():
        loss = F.cross_entropy(forward(params, x, state), labels)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(lr * p.grad)
                p.grad = None
    return step


def read_idx(folder, stem):
    """An IDX file (stem.gz or raw stem) of Fashion-MNIST as a uint8 array of its dimensions."""
    path = os.path.join(folder, stem + ".gz")
    with (gzip.open(path, "rb") if os.path.exists(path) else open(os.path.join(folder, stem), "rb")) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def read_safetensors(data):
    """The float32 tensors of a safetensors file's bytes, by name."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{name}: expected F32 but got {entry['dtype']}")
        begin, end = entry["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[8 + n + begin:8 + n + end], np.float32).copy()).reshape(entry["shape"])
    return tensors


class FashionLeNet(nn.Module):
    """The C# FashionLeNet, with its state_dict names (features.0.weight, ..., classifier.3.bias)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def fashion_epoch(c, warmup):
    """One epoch of FashionLeNet, cross-entropy, Adam 1e-3, shuffled batches, standardised pixels: (ms, test accuracy).
    The warm-up steps train a fresh default-initialised model in a random order; the timed epoch starts from the
    parameters in c["init_safetensors"] (base64) and visits the images in the order c["order"]."""
    def images(stem):
        return torch.from_numpy(read_idx(c["data"], stem).astype(np.float32) / 255).unsqueeze(1)

    def labels(stem):
        return torch.from_numpy(read_idx(c["data"], stem).astype(np.int64))

    x, y = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    xt, yt = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    mean, std = x.double().mean().item(), x.double().std(unbiased=False).item()
    x, xt = (x - mean) / std, (xt - mean) / std
    batch = c["batch"]

    def train(steps, init=None, order=None):
        model = FashionLeNet()
        if init is not None:
            model.load_state_dict(init)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        order = torch.randperm(len(y)) if order is None else order
        for i in range(steps):
            idx = order[i * batch:(i + 1) * batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return model

    init = read_safetensors(base64.b64decode(c["init_safetensors"]))
    order = torch.tensor(c["order"], dtype=torch.int64)
    train(warmup)
    t0 = time.perf_counter()
    model = train((len(y) + batch - 1) // batch, init, order)
    ms = (time.perf_counter() - t0) * 1000.0
    model.eval()
    with torch.no_grad():
        hits = sum((model(xt[i:i + 500]).argmax(1) == yt[i:i + 500]).sum().item() for i in range(0, len(yt), 500))
    return ms, hits / len(yt)


def run_case(c, req):
    """The result of one case: its name, median and times (ms), and the test accuracy of a training epoch."""
    kind = c["kind"]
    if kind == "fashion_epoch":
        ms, accuracy = fashion_epoch(c, req["warmup"])
        return {"name": c["name"], "median_ms": ms, "times_ms": [ms], "test_accuracy": accuracy}
    if kind == "matmul":
        fn = matmul_case(c)
    elif kind == "conv":
        fn = conv_case(c, backward=False)
    elif kind == "conv_fwd_bwd":
        fn = conv_case(c, backward=True)
    elif kind == "train":
        fn = train_case(c)
    else:
        raise ValueError(f"unknown case kind {kind}")
    clock = time.process_time if req.get("cpu_time") else time.perf_counter
    times = timed(fn, max(req["warmup"], c.get("warmup", 0)), req["reps"], clock, req.get("window_ms", 0.0))
    return {"name": c["name"], "median_ms": statistics.median(times), "times_ms": times}


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    req = json.loads(sys.stdin.readline())
    torch.set_num_threads(req["threads"])
    torch.manual_seed(0)
    reply({"torch": torch.__version__, "threads": torch.get_num_threads()})
    for line in sys.stdin:
        if line.strip():
            reply(run_case(json.loads(line), req))
    # VmHWM, the peak resident set of this process's address space (ru_maxrss would also count the parent's
    # pages at the fork that started it).
    with open("/proc/self/status") as status:
        peak_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024 / 1e6
    reply({"peak_rss_mb": peak_mb})


if __name__ == "__main__":
    main()
