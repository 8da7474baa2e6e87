#!/usr/bin/env python3
"""Writes the golden forward and gradient values that tests/Unit/Golden checks against.

Run:  /usr/bin/python3 tools/golden/make_golden.py   (needs PyTorch: apt-get install python3-torch)

Each case records float64 inputs, the output of the PyTorch function, a fixed cotangent c and the
vector-Jacobian products J^T c for every differentiable input (torch.autograd.grad). The C# tests
rebuild the same op from "op" and "args" and compare. The tests never run Python.
"""
import json, os, sys
import torch
import torch.nn.functional as F

torch.manual_seed(20261121)
torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "Unit", "Golden")


def t(*shape, lo=None):
    x = torch.randn(*shape)
    if lo is not None:  # keep positive (log, sqrt, pow) or away from kinks
        x = x.abs() + lo
    return x


def enc(x):
    return {"shape": list(x.shape), "data": [float(v) for v in x.detach().reshape(-1).tolist()]}


def case(cases, name, op, fn, inputs, args=None, labels=None, extra=None):
    xs = [x.clone().requires_grad_(True) for x in inputs]
    y = fn(*xs)
    c = torch.randn(y.shape)
    grads = torch.autograd.grad(y, xs, c, allow_unused=True)
    entry = {
        "name": name, "op": op, "args": args or {},
        "inputs": [enc(x) for x in inputs],
        "output": enc(y), "cotangent": enc(c),
        "grads": [enc(g if g is not None else torch.zeros_like(x)) for g, x in zip(grads, inputs)],
    }
    if labels is not None:
        entry["labels"] = [int(v) for v in labels]
    if extra:
        entry.update(extra)
    cases.append(entry)


def elementwise():
    cs = []
    case(cs, "add broadcast", "add", torch.add, [t(2, 3, 4), t(3, 1)])
    case(cs, "sub broadcast", "sub", torch.sub, [t(4,), t(2, 3, 4)])
    case(cs, "mul broadcast", "mul", torch.mul, [t(2, 1, 4), t(3, 4)])
    case(cs, "div", "div", torch.div, [t(3, 4), t(3, 4, lo=0.5)])
    case(cs, "neg", "neg", torch.neg, [t(5)])
    case(cs, "exp", "exp", torch.exp, [t(2, 5)])
    case(cs, "log", "log", torch.log, [t(2, 5, lo=0.1)])
    case(cs, "sqrt", "sqrt", torch.sqrt, [t(2, 5, lo=0.1)])
    case(cs, "square", "square", torch.square, [t(2, 5)])
    case(cs, "pow 2.5", "pow", lambda x: torch.pow(x, 2.5), [t(7, lo=0.1)], {"p": 2.5})
    case(cs, "pow -1", "pow", lambda x: torch.pow(x, -1.0), [t(7, lo=0.5)], {"p": -1.0})
    case(cs, "abs", "abs", torch.abs, [t(9)])
    case(cs, "relu", "relu", F.relu, [t(3, 5)])
    case(cs, "leaky_relu 0.2", "leaky_relu", lambda x: F.leaky_relu(x, 0.2), [t(3, 5)], {"slope": 0.2})
    case(cs, "sigmoid", "sigmoid", torch.sigmoid, [t(3, 5) * 4])
    case(cs, "tanh", "tanh", torch.tanh, [t(3, 5) * 2])
    return cs


def reductions():
    cs = []
    case(cs, "sum all", "sum", lambda x: x.sum(), [t(2, 3, 4)], {"axes": [], "keepDims": False})
    case(cs, "sum axes 0,2 keep", "sum", lambda x: x.sum((0, 2), keepdim=True), [t(2, 3, 4)], {"axes": [0, 2], "keepDims": True})
    case(cs, "mean axis 1", "mean", lambda x: x.mean(1), [t(2, 3, 4)], {"axes": [1], "keepDims": False})
    case(cs, "max axis -1", "max", lambda x: x.amax(-1), [t(2, 3, 4)], {"axes": [-1], "keepDims": False})
    case(cs, "max all", "max", lambda x: x.amax(), [t(3, 4)], {"axes": [], "keepDims": False})
    case(cs, "logsumexp axis 1 keep", "logsumexp", lambda x: torch.logsumexp(x, 1, keepdim=True), [t(2, 5, 3) * 3], {"axes": [1], "keepDims": True})
    return cs


def shapes():
    cs = []
    case(cs, "reshape", "reshape", lambda x: x.reshape(4, -1), [t(2, 3, 4)], {"shape": [4, -1]})
    case(cs, "flatten", "flatten", lambda x: torch.flatten(x, 1), [t(2, 3, 2, 2)], {"start": 1, "end": -1})
    case(cs, "permute", "permute", lambda x: x.permute(2, 0, 3, 1), [t(2, 3, 4, 5)], {"dims": [2, 0, 3, 1]})
    case(cs, "transpose", "transpose", lambda x: x.transpose(0, 2), [t(2, 3, 4)], {"dim0": 0, "dim1": 2})
    case(cs, "concat axis 1", "concat", lambda a, b: torch.cat([a, b], 1), [t(2, 3, 2), t(2, 1, 2)], {"axis": 1})
    case(cs, "slice step 2", "slice", lambda x: x[:, 1:6:2], [t(3, 7)], {"axis": 1, "start": 1, "end": 6, "step": 2})
    for mode, name in [("constant", "Zeros"), ("reflect", "Reflect"), ("replicate", "Replicate"), ("circular", "Circular")]:
        case(cs, f"pad {mode}", "pad", lambda x, m=mode: F.pad(x, (2, 1, 1, 2), mode=m), [t(2, 3, 4, 5)], {"pads": [2, 1, 1, 2], "mode": name})
    return cs


def matmul():
    cs = []
    case(cs, "matmul 2-D", "matmul", torch.matmul, [t(3, 4), t(4, 5)])
    case(cs, "matmul batched broadcast", "matmul", torch.matmul, [t(2, 1, 3, 4), t(3, 4, 2)])
    case(cs, "linear with bias", "linear", F.linear, [t(5, 4), t(3, 4), t(3)])
    case(cs, "linear no bias", "linear", F.linear, [t(2, 6), t(4, 6)])
    return cs


def conv():
    cs = []
    def c2(name, x, w, b, stride=1, padding=0, dilation=1, groups=1):
        inputs = [x, w] + ([b] if b is not None else [])
        fn = (lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups)) if b is not None else (lambda x, w: F.conv2d(x, w, None, stride, padding, dilation, groups))
        case(cs, name, "conv2d", fn, inputs, {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups})
    c2("conv2d 3x3 pad 1 bias", t(2, 3, 6, 6), t(4, 3, 3, 3), t(4), padding=1)
    c2("conv2d stride 2 no bias", t(2, 2, 7, 7), t(3, 2, 3, 3), None, stride=2)
    c2("conv2d dilation 2 pad 2", t(1, 2, 7, 6), t(2, 2, 3, 3), t(2), padding=2, dilation=2)
    c2("conv2d groups 2", t(2, 4, 5, 5), t(6, 2, 3, 3), t(6), padding=1, groups=2)
    c2("conv2d depthwise stride 2", t(2, 3, 6, 6), t(3, 1, 3, 3), t(3), stride=2, padding=1, groups=3)
    c2("conv2d 1x1", t(2, 5, 4, 3), t(7, 5, 1, 1), t(7))
    case(cs, "conv2d same", "conv2d_same", lambda x, w: F.conv2d(x, w, None, 1, "same"), [t(1, 2, 5, 6), t(3, 2, 4, 4)])
    case(cs, "conv2d asymmetric padding (1,0,2,1)", "conv2d_pads",
         lambda x, w, b: F.conv2d(F.pad(x, (2, 1, 1, 0)), w, b), [t(2, 2, 5, 5), t(3, 2, 3, 3), t(3)], {"top": 1, "bottom": 0, "left": 2, "right": 1})
    def ct(name, x, w, b, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
        inputs = [x, w] + ([b] if b is not None else [])
        fn = (lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)) if b is not None else (lambda x, w: F.conv_transpose2d(x, w, None, stride, padding, output_padding, groups, dilation))
        case(cs, name, "conv_transpose2d", fn, inputs, {"stride": stride, "padding": padding, "outputPadding": output_padding, "dilation": dilation, "groups": groups})
    ct("conv_transpose2d stride 2 pad 1 out_pad 1", t(2, 3, 4, 4), t(3, 2, 3, 3), t(2), stride=2, padding=1, output_padding=1)
    ct("conv_transpose2d k2 s2 (U-Net up)", t(1, 4, 3, 3), t(4, 2, 2, 2), t(2), stride=2)
    ct("conv_transpose2d groups 2 dilation 2", t(2, 4, 3, 3), t(4, 1, 3, 3), None, padding=1, dilation=2, groups=2)
    return cs


def pool():
    cs = []
    def mp(name, x, k, s=None, p=0, d=1):
        case(cs, name, "max_pool2d", lambda x: F.max_pool2d(x, k, s, p, d), [x], {"kernel": k, "stride": s if s is not None else k, "padding": p, "dilation": d})
    mp("max_pool2d 2", t(2, 3, 6, 6), 2)
    mp("max_pool2d 3 stride 2 pad 1", t(1, 2, 7, 7), 3, 2, 1)
    mp("max_pool2d 2 dilation 2", t(1, 2, 7, 6), 2, 1, 0, 2)
    def ap(name, x, k, s=None, p=0, cip=True):
        case(cs, name, "avg_pool2d", lambda x: F.avg_pool2d(x, k, s, p, False, cip), [x], {"kernel": k, "stride": s if s is not None else k, "padding": p, "countIncludePad": cip})
    ap("avg_pool2d 2", t(2, 3, 6, 6), 2)
    ap("avg_pool2d 3 stride 2 pad 1 include pad", t(1, 2, 7, 7), 3, 2, 1, True)
    ap("avg_pool2d 3 stride 2 pad 1 exclude pad", t(1, 2, 7, 7), 3, 2, 1, False)
    case(cs, "adaptive_avg_pool2d 7x5 -> 3x2", "adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [t(2, 2, 7, 5)], {"outH": 3, "outW": 2})
    case(cs, "global average pool", "global_avg_pool2d", lambda x: x.mean((2, 3)), [t(2, 3, 4, 5)])
    return cs


def losses():
    cs = []
    logits = t(4, 5) * 2
    labels = torch.tensor([1, 0, 4, 2])
    case(cs, "softmax axis -1", "softmax", lambda x: F.softmax(x, -1), [t(3, 4) * 3], {"axis": -1})
    case(cs, "softmax axis 0", "softmax", lambda x: F.softmax(x, 0), [t(3, 4) * 3], {"axis": 0})
    case(cs, "log_softmax axis 1", "log_softmax", lambda x: F.log_softmax(x, 1), [t(2, 4, 3) * 3], {"axis": 1})
    for red in ["mean", "sum", "none"]:
        case(cs, f"cross_entropy {red}", "cross_entropy", lambda x, r=red: F.cross_entropy(x, labels, reduction=r), [logits], {"reduction": red, "smoothing": 0.0}, labels=labels)
    case(cs, "cross_entropy smoothing 0.1", "cross_entropy", lambda x: F.cross_entropy(x, labels, label_smoothing=0.1), [logits], {"reduction": "mean", "smoothing": 0.1}, labels=labels)
    case(cs, "nll mean", "nll", lambda x: F.nll_loss(x, labels), [F.log_softmax(logits, 1)], {"reduction": "mean"}, labels=labels)
    for red in ["mean", "sum", "none"]:
        case(cs, f"mse {red}", "mse", lambda a, b, r=red: F.mse_loss(a, b, reduction=r), [t(3, 4), t(3, 4)], {"reduction": red})
    case(cs, "bce_with_logits mean", "bce_with_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y), [t(3, 4) * 3, torch.rand(3, 4)], {"reduction": "mean"})
    case(cs, "bce_with_logits none", "bce_with_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"), [t(5) * 3, torch.rand(5)], {"reduction": "none"})
    return cs


def batchnorm():
    cs = []
    for shape in [(4, 3), (2, 3, 4, 5)]:
        x, w, b = t(*shape), t(3), t(3)
        rm, rv = t(3), t(3, lo=0.5)
        rm2, rv2 = rm.clone(), rv.clone()
        F.batch_norm(x, rm2, rv2, None, None, True, 0.1, 1e-5)  # updates the running stats in place
        case(cs, f"batch_norm train {list(shape)}", "batch_norm_train", lambda x, w, b: F.batch_norm(x, rm.clone(), rv.clone(), w, b, True, 0.1, 1e-5), [x, w, b],
             {"momentum": 0.1, "eps": 1e-5}, extra={"runningMean": enc(rm), "runningVar": enc(rv), "newRunningMean": enc(rm2), "newRunningVar": enc(rv2)})
        case(cs, f"batch_norm eval {list(shape)}", "batch_norm_eval", lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False, 0.1, 1e-5), [x, w, b],
             {"eps": 1e-5}, extra={"runningMean": enc(rm), "runningVar": enc(rv)})
    return cs


def main():
    os.makedirs(OUT, exist_ok=True)
    families = {"elementwise": elementwise, "reductions": reductions, "shapes": shapes, "matmul": matmul,
                "conv": conv, "pool": pool, "losses": losses, "batchnorm": batchnorm}
    for name, make in families.items():
        cases = make()
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump({"generator": "tools/golden/make_golden.py", "torch": torch.__version__, "cases": cases}, f, indent=None, separators=(",", ":"))
        print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
