#!/usr/bin/env python3
"""Writes the golden optimizer trajectories and learning-rate schedules that tests/Unit/Optimizers replays.

Run:  /usr/bin/python3 tools/golden/optimizers/make_optimizer_golden.py   (PyTorch 1.13: apt-get install python3-torch)

optimizers.json: three fixed parameters and a fixed sequence of five gradients (float64, stored). For each
torch.optim configuration the parameters after every step, in float64 and in float32 (the same inputs
rounded to float32, PyTorch computing in float32), and the float64 state buffers after the last step.
A case with "lrs" sets the group's learning rate before each step (a schedule driving the optimizer).
The "clip" cases record torch.nn.utils.clip_grad_norm_ and clip_grad_value_ on the first gradient.

schedules.json: each torch.optim.lr_scheduler's learning rate for 30 steps (the value in effect before
step k's scheduler.step(), k = 0..29), and ReduceLROnPlateau's learning rate after each metric.
The tests never run Python.
"""
import json, math, os
import torch

torch.manual_seed(20261122)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "Unit", "Golden")

NAMES = ["features.0.weight", "features.0.bias", "head.weight"]
SHAPES = [(3, 2), (4,), (2, 3)]
STEPS = 5
INIT = [torch.randn(*s, dtype=torch.float64) for s in SHAPES]
GRADS = [[torch.randn(*s, dtype=torch.float64) for s in SHAPES] for _ in range(STEPS)]

# (name, optimizer key, torch class, kwargs, per-step lrs or None). Keys and kwargs names are what the C# test reads.
CONFIGS = [
    ("sgd plain", "sgd", torch.optim.SGD, dict(lr=0.1), None),
    ("sgd momentum", "sgd", torch.optim.SGD, dict(lr=0.1, momentum=0.9), None),
    ("sgd nesterov weight decay", "sgd", torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01), None),
    ("sgd dampening", "sgd", torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.3), None),
    ("sgd momentum scheduled lr", "sgd", torch.optim.SGD, dict(lr=0.1, momentum=0.9), [0.1, 0.08, 0.05, 0.02, 0.01]),
    ("adam", "adam", torch.optim.Adam, dict(lr=0.1), None),
    ("adam amsgrad weight decay", "adam", torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=True), None),
    ("adam scheduled lr", "adam", torch.optim.Adam, dict(lr=0.1), [0.1, 0.2, 0.05, 0.05, 0.01]),
    ("adamw", "adamw", torch.optim.AdamW, dict(lr=0.1, weight_decay=0.1), None),
    ("adamw amsgrad", "adamw", torch.optim.AdamW, dict(lr=0.05, betas=(0.85, 0.99), weight_decay=0.05, amsgrad=True), None),
    ("rmsprop", "rmsprop", torch.optim.RMSprop, dict(lr=0.01), None),
    ("rmsprop weight decay", "rmsprop", torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, weight_decay=0.1), None),
    ("rmsprop centered momentum", "rmsprop", torch.optim.RMSprop, dict(lr=0.01, alpha=0.95, eps=1e-6, momentum=0.9, centered=True), None),
]


def enc(x):
    return {"shape": list(x.shape), "data": [float(v) for v in x.detach().reshape(-1).tolist()]}


def run(cls, kwargs, lrs, dtype):
    ps = [x.to(dtype).clone().requires_grad_(True) for x in INIT]
    opt = cls(ps, foreach=False, **kwargs)
    traj = []
    for k in range(STEPS):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[k]
        for p, g in zip(ps, GRADS[k]):
            p.grad = g.to(dtype).clone()
        opt.step()
        traj.append([enc(p) for p in ps])
    state = {}
    for p in ps:
        for key, v in opt.state[p].items():
            if torch.is_tensor(v) and v.dim() > 0:
                state.setdefault(key, []).append(enc(v))
    return traj, state


def clip_cases():
    cases = []
    for max_norm in [1.0, 100.0]:
        ps = [x.clone().requires_grad_(True) for x in INIT]
        for p, g in zip(ps, GRADS[0]):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        cases.append({"name": f"clip norm {max_norm}", "kind": "norm", "max": max_norm,
                      "total_norm": float(total), "grads": [enc(p.grad) for p in ps]})
    ps = [x.clone().requires_grad_(True) for x in INIT]
    for p, g in zip(ps, GRADS[0]):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(ps, 0.5)
    cases.append({"name": "clip value 0.5", "kind": "value", "max": 0.5, "grads": [enc(p.grad) for p in ps]})
    return cases


def optimizers():
    cases = []
    for name, key, cls, kwargs, lrs in CONFIGS:
        f64, state = run(cls, kwargs, lrs, torch.float64)
        f32, _ = run(cls, kwargs, lrs, torch.float32)
        args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
        entry = {"name": name, "optimizer": key, "args": args, "f64": f64, "f32": f32, "state": state}
        if lrs is not None:
            entry["lrs"] = lrs
        cases.append(entry)
    return {"generator": "tools/golden/optimizers/make_optimizer_golden.py", "torch": torch.__version__,
            "names": NAMES, "init": [enc(x) for x in INIT], "grads": [[enc(g) for g in gs] for gs in GRADS],
            "cases": cases, "clip": clip_cases()}


STEPS_LR = 30
BASE_LR = 0.1


def lrs_of(make):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    sched = make(opt)
    out = []
    for _ in range(STEPS_LR):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def warmup_cosine_factor(s, total, warmup, start_factor, eta_min):
    """The definition CosineAnnealingLR implements in C#, as a LambdaLR factor of the base lr."""
    if s < warmup:
        return start_factor + (1 - start_factor) * s / warmup
    s = min(s, total)
    return (eta_min + (BASE_LR - eta_min) * (1 + math.cos(math.pi * (s - warmup) / (total - warmup))) / 2) / BASE_LR


def schedules():
    S = torch.optim.lr_scheduler
    cases = []

    def add(name, kind, args, make):
        cases.append({"name": name, "schedule": kind, "args": dict(base_lr=BASE_LR, **args), "lrs": lrs_of(make)})

    add("step", "step", dict(step_size=7, gamma=0.5), lambda o: S.StepLR(o, step_size=7, gamma=0.5))
    add("multistep", "multistep", dict(milestones=[3, 10, 10, 22], gamma=0.3),
        lambda o: S.MultiStepLR(o, milestones=[3, 10, 10, 22], gamma=0.3))
    add("exponential", "exponential", dict(gamma=0.9), lambda o: S.ExponentialLR(o, gamma=0.9))
    add("onecycle defaults", "onecycle", dict(max_lr=1.0, total_steps=30),
        lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=30, cycle_momentum=False))
    add("onecycle linear three phase", "onecycle",
        dict(max_lr=0.5, total_steps=30, pct_start=0.25, anneal_strategy="linear", div_factor=10.0,
             final_div_factor=100.0, three_phase=True),
        lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=30, pct_start=0.25, anneal_strategy="linear",
                               div_factor=10.0, final_div_factor=100.0, three_phase=True, cycle_momentum=False))
    add("cosine", "cosine", dict(total_steps=30, eta_min=0.001, warmup_steps=0, warmup_start_factor=1.0),
        lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001))

    # Warm-up then cosine: the golden values come from LambdaLR with the exact definition; the same
    # schedule built from PyTorch's own LinearLR + CosineAnnealingLR (SequentialLR) must agree with it.
    total, warmup, start, eta_min = 30, 5, 0.1, 0.002
    lam = lambda s: warmup_cosine_factor(s, total, warmup, start, eta_min)
    add("warmup cosine", "cosine", dict(total_steps=total, eta_min=eta_min, warmup_steps=warmup, warmup_start_factor=start),
        lambda o: S.LambdaLR(o, lam))
    seq = lrs_of(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=start, total_iters=warmup),
                                              S.CosineAnnealingLR(o, T_max=total - warmup, eta_min=eta_min)],
                                          milestones=[warmup]))
    for a, b in zip(cases[-1]["lrs"], seq):
        assert abs(a - b) <= 1e-12 * max(1.0, abs(b)) * 10, (a, b)

    metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4999, 0.49995, 0.6, 0.6, 0.6,
               0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    for name, kwargs, ms in [
        ("plateau min", dict(mode="min", factor=0.5, patience=2, threshold=1e-4, cooldown=1, min_lr=0.01), metrics),
        ("plateau max abs", dict(mode="max", factor=0.2, patience=1, threshold=0.05, threshold_mode="abs", cooldown=0, min_lr=0.0),
         [-m for m in metrics]),
        ("plateau defaults", dict(), metrics),
    ]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
        sched = S.ReduceLROnPlateau(opt, **kwargs)
        lrs = []
        for m in ms:
            opt.step()
            sched.step(m)
            lrs.append(opt.param_groups[0]["lr"])
        cases.append({"name": name, "schedule": "plateau", "args": dict(base_lr=BASE_LR, **kwargs), "metrics": ms, "lrs": lrs})
    return {"generator": "tools/golden/optimizers/make_optimizer_golden.py", "torch": torch.__version__, "cases": cases}


def write(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    write("optimizers.json", optimizers())
    write("schedules.json", schedules())
