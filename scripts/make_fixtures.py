#!/usr/bin/python3
"""Writes the PyTorch fixtures that handgrad's tests compare against (test/fixtures/*.json).

Run with Debian's python3-torch:   /usr/bin/python3 scripts/make_fixtures.py

Everything is seeded. Every input, weight, upstream gradient r and mask is a float32 value
(drawn in float32, then widened), so handgrad can run the very same numbers in float32 and in
float64; the reference outputs and gradients are computed by PyTorch in float64 and written with
Python's round-tripping float repr. The test suite never runs Python: the JSON files are committed.

Files:
  layers.json  one case per layer variant: input, parameters, buffers (BatchNorm's running
               statistics), r (and a dropout mask), and PyTorch's output y, dL/dx and dL/dθ for
               the projection L = Σ y·r, and the buffers after that forward
  losses.json  one case per loss variant: prediction, target, loss, dL/dprediction
  edges.json   PyTorch's conventions at the edges (kinks, saturation, clamps, huge logits), with
               float64 and float32 results
  optim.json   10 steps of SGD / Adam / AdamW / RMSprop on a fixed quadratic, every iterate, in
               float64 and in float32
  schedulers.json, clip.json   see fixtures_train.py
  e2e.json     an MLP and a small CNN: initial weights, logits, loss, every gradient, and the
               losses of 20 SGD steps (momentum 0.9) on a fixed batch
"""

import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from fixtures_train import make_clip, make_schedulers

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
torch.set_grad_enabled(True)


def f32(a):
    """A float64 array holding float32-representable values."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def flat(t):
    """A flat list of Python floats (exact float64 repr)."""
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    return [float(v) for v in np.asarray(t, dtype=np.float64).ravel()]


def normal(rng, shape, scale=1.0):
    return f32(rng.standard_normal(shape) * scale)


def away_from_zero(x, m):
    """Moves entries with |x| < m out to |x| ≥ m (keeps their sign): no input sits on a kink."""
    x = x.copy()
    small = np.abs(x) < m
    x[small] = np.where(x[small] < 0, x[small] - m, x[small] + m)
    return f32(x)


def distinct(rng, shape, step=0.05):
    """A permutation of evenly spaced values: no two inputs of a max-pool window are close."""
    n = int(np.prod(shape))
    perm = rng.permutation(n)
    return f32(((perm - n / 2) * step).reshape(shape))


# ---- layers ---------------------------------------------------------------------------------

class Scaled(nn.Module):
    """c·f(x), for 3·ReLU."""

    def __init__(self, f, c):
        super().__init__()
        self.f, self.c = f, c

    def forward(self, x):
        return self.c * self.f(x)


class MaskedDropout(nn.Module):
    """Dropout with a fixed keep-mask: inverted y = x·m/(1−p), cmu y = x·m (train);
    eval: inverted y = x, cmu y = (1−p)·x."""

    def __init__(self, p, mode, mask, training):
        super().__init__()
        self.p, self.mode, self.mask, self.train_mode = p, mode, mask, training

    def forward(self, x):
        if self.train_mode:
            scale = 1 / (1 - self.p) if self.mode == 'inverted' else 1.0
            return x * self.mask * scale
        return x * (1 - self.p) if self.mode == 'cmu' else x


def init_module(m, seed):
    """PyTorch's default init, from a fixed seed, rounded to float32, then float64."""
    torch.manual_seed(seed)
    m.reset_parameters()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.float().double())


def layer_cases():
    """(name, torch module builder, input generator, extra) — the names are the keys the TS tests use."""
    cases = []

    def add(name, build, make_input, mask_p=None, mode=None, training=True, index=False):
        cases.append(dict(name=name, build=build, make_input=make_input, mask_p=mask_p, mode=mode, training=training, index=index))

    def lin(i, o, bias=True):
        def b(seed):
            m = nn.Linear(i, o, bias=bias).double()
            init_module(m, seed)
            return m
        return b

    def conv(i, o, k, stride=1, padding=0):
        def b(seed):
            m = nn.Conv2d(i, o, k, stride=stride, padding=padding).double()
            init_module(m, seed)
            return m
        return b

    def plain(shape, away=0.0):
        return lambda rng: away_from_zero(normal(rng, shape), away) if away > 0 else normal(rng, shape)

    add('Linear', lin(7, 5), plain([4, 7]))
    add('Linear (no bias)', lin(6, 3, bias=False), plain([3, 6]))
    add('ReLU', lambda s: nn.ReLU(), plain([4, 6], 1e-2))
    add('ReLU (scale 3)', lambda s: Scaled(nn.ReLU(), 3.0), plain([4, 6], 1e-2))
    add('LeakyReLU(0.01)', lambda s: nn.LeakyReLU(0.01), plain([4, 6], 1e-2))
    add('LeakyReLU(0.1)', lambda s: nn.LeakyReLU(0.1), plain([4, 6], 1e-2))
    add('Sigmoid', lambda s: nn.Sigmoid(), lambda rng: normal(rng, [4, 6], 2.0))
    add('Tanh', lambda s: nn.Tanh(), lambda rng: normal(rng, [4, 6], 1.5))
    add('GELU', lambda s: nn.GELU(), lambda rng: normal(rng, [4, 6], 2.0))
    add('GELU (tanh)', lambda s: nn.GELU(approximate='tanh'), lambda rng: normal(rng, [4, 6], 2.0))
    add('Softplus', lambda s: nn.Softplus(), lambda rng: normal(rng, [4, 6], 2.0))

    def softplus_input(rng):
        # βx on both sides of the threshold 5 (x = 2.5), never within 0.05 of it (the jump there).
        x = rng.uniform(-4.0, 6.0, size=[4, 6])
        x[np.abs(x - 2.5) < 0.05] += 0.2
        x.ravel()[:4] = [-3.0, 1.0, 3.5, 5.0]   # a few sure values on each side
        return f32(x)
    add('Softplus(beta=2, threshold=5)', lambda s: nn.Softplus(beta=2, threshold=5), softplus_input)
    add('Identity', lambda s: nn.Identity(), plain([3, 5]))
    add('Dropout (inverted, p=0.3, train)', None, plain([4, 6]), mask_p=0.3, mode='inverted')
    add('Dropout (cmu, p=0.3, train)', None, plain([4, 6]), mask_p=0.3, mode='cmu')
    add('Dropout (inverted, p=0.3, eval)', None, plain([4, 6]), mask_p=0.3, mode='inverted', training=False)
    add('Dropout (cmu, p=0.3, eval)', None, plain([4, 6]), mask_p=0.3, mode='cmu', training=False)
    add('Flatten', lambda s: nn.Flatten(), plain([2, 3, 2, 2]))
    add('Conv2d (3×3, stride 1, padding 0)', conv(2, 3, 3), plain([2, 2, 6, 5]))
    add('Conv2d (3×3, stride 1, padding 1)', conv(2, 3, 3, padding=1), plain([2, 2, 5, 5]))
    add('Conv2d (3×3, stride 2, padding 0)', conv(2, 3, 3, stride=2), plain([2, 2, 7, 6]))
    add('Conv2d (2×3, stride 2, padding 1)', conv(2, 4, (2, 3), stride=2, padding=1), plain([2, 2, 7, 6]))
    add('Conv2d (1×1 → 3×2, stride 1, padding 1)', conv(1, 2, (3, 2), padding=1), plain([2, 1, 4, 5]))
    add('MaxPool2d(2, stride 2)', lambda s: nn.MaxPool2d(2, stride=2), lambda rng: distinct(rng, [2, 3, 4, 6]))
    add('MaxPool2d(3, stride 2, padding 1)', lambda s: nn.MaxPool2d(3, stride=2, padding=1), lambda rng: distinct(rng, [2, 2, 5, 5]))

    def small_cnn(seed):
        torch.manual_seed(seed)
        m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3)).double()
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(p.float().double())
        return m

    def small_mlp(seed):
        torch.manual_seed(seed)
        m = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 4), nn.GELU(), nn.Linear(4, 2)).double()
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(p.float().double())
        return m

    def small_cnn_input(rng):
        # distinct input values; the ReLU and the pool act on conv outputs, which for this seed sit
        # far enough from 0 and from ties for the finite-difference check (the test would say).
        return distinct(rng, [2, 1, 6, 6], step=0.06)
    add('Sequential (conv-relu-pool-flatten-linear)', small_cnn, small_cnn_input)
    add('Sequential (linear-tanh-linear-gelu-linear)', small_mlp, plain([3, 5]))
    # (new cases go last: each case's seeds are its position in this list)
    add('ELU', lambda s: nn.ELU(), lambda rng: normal(rng, [4, 6], 1.5))
    add('ELU(alpha=0.5)', lambda s: nn.ELU(alpha=0.5), plain([4, 6], 1e-2))

    def softplus_threshold_1(rng):
        # βx on both sides of the threshold 1 (x = 0.5), never within 0.05 of it (the jump there).
        x = rng.uniform(-2.0, 2.0, size=[4, 6])
        x[np.abs(x - 0.5) < 0.05] += 0.2
        return f32(x)
    add('Softplus(beta=2, threshold=1)', lambda s: nn.Softplus(beta=2, threshold=1), softplus_threshold_1)

    # ---- normalisation, softmax, average pooling, embedding

    def shifted(shape, scale=1.5, shift=0.4):
        return lambda rng: f32(rng.standard_normal(shape) * scale + shift)

    def bn(kind, c, warm_shape, training, **opts):
        def b(seed):
            m = (nn.BatchNorm1d if kind == 1 else nn.BatchNorm2d)(c, **opts).double()
            return warmed(m, seed, warm_shape, training)
        return b

    for kind, c, shape in [(1, 4, [6, 4]), (2, 3, [4, 3, 3, 3])]:
        name = f'BatchNorm{kind}d'
        for training in [True, False]:
            mode = 'train' if training else 'eval'
            add(f'{name} ({mode})', bn(kind, c, shape, training), shifted(shape), training=training)
            add(f'{name} (momentum None, {mode})', bn(kind, c, shape, training, momentum=None), shifted(shape), training=training)
            add(f'{name} (no affine, {mode})', bn(kind, c, shape, training, affine=False), shifted(shape), training=training)
            add(f'{name} (no running stats, {mode})', bn(kind, c, shape, training, track_running_stats=False), shifted(shape), training=training)
    add('BatchNorm1d (N, C, L, train)', bn(1, 4, [3, 4, 5], True), shifted([3, 4, 5]))
    add('BatchNorm1d (N, C, L, eval)', bn(1, 4, [3, 4, 5], False), shifted([3, 4, 5]), training=False)
    add('BatchNorm2d (momentum 0.5, eps 1e-3, train)', bn(2, 2, [3, 2, 4, 3], True, momentum=0.5, eps=1e-3), shifted([3, 2, 4, 3]))

    def ln(shape, **opts):
        def b(seed):
            m = nn.LayerNorm(shape, **opts).double()
            return randomised_affine(m, seed)
        return b
    add('LayerNorm(5)', ln(5), shifted([4, 5]))
    add('LayerNorm([3, 4])', ln([3, 4]), shifted([2, 3, 4]))
    add('LayerNorm(6) on (2, 3, 6), no affine', ln(6, elementwise_affine=False), shifted([2, 3, 6]))

    add('Softmax(dim=1)', lambda s: nn.Softmax(dim=1), lambda rng: normal(rng, [4, 5], 2.0))
    add('Softmax(dim=0)', lambda s: nn.Softmax(dim=0), lambda rng: normal(rng, [4, 5], 2.0))
    add('Softmax(dim=-1) on (2, 3, 4)', lambda s: nn.Softmax(dim=-1), lambda rng: normal(rng, [2, 3, 4], 2.0))
    add('LogSoftmax(dim=1)', lambda s: nn.LogSoftmax(dim=1), lambda rng: normal(rng, [4, 5], 2.0))
    add('LogSoftmax(dim=1) on (2, 3, 2, 2)', lambda s: nn.LogSoftmax(dim=1), lambda rng: normal(rng, [2, 3, 2, 2], 2.0))
    add('LogSoftmax(dim=-1), large logits', lambda s: nn.LogSoftmax(dim=-1), lambda rng: normal(rng, [3, 4], 40.0))

    add('AvgPool2d(2)', lambda s: nn.AvgPool2d(2), plain([2, 3, 4, 6]))
    add('AvgPool2d(3, stride 2, padding 1)', lambda s: nn.AvgPool2d(3, stride=2, padding=1), plain([2, 2, 5, 5]))
    add('AvgPool2d(2×3, stride 1×2, padding 1×1)', lambda s: nn.AvgPool2d((2, 3), stride=(1, 2), padding=(1, 1)), plain([2, 2, 4, 5]))

    def emb(n, d, padding_idx=None):
        def b(seed):
            torch.manual_seed(seed)
            m = nn.Embedding(n, d, padding_idx=padding_idx).double()
            with torch.no_grad():
                m.weight.copy_(m.weight.float().double())
            return m
        return b

    def indices(shape, n, extra=()):
        # repeated rows on purpose (the scatter-add must accumulate), and the given ones
        def make(rng):
            idx = rng.integers(0, n, size=shape)
            flat_idx = idx.reshape(-1)
            flat_idx[1] = flat_idx[0]
            for i, v in enumerate(extra):
                flat_idx[2 + i] = v
            return idx.astype(np.float64)
        return make
    add('Embedding(10, 4)', emb(10, 4), indices([3, 4], 10), index=True)
    add('Embedding(10, 4, paddingIdx=0)', emb(10, 4, padding_idx=0), indices([2, 5], 10, extra=(0, 0)), index=True)

    def seq_bn(training):
        def b(seed):
            torch.manual_seed(seed)
            m = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
                              nn.Linear(12, 4), nn.LogSoftmax(dim=1)).double()
            return warmed(m, seed, [4, 1, 6, 6], training)
        return b
    add('Sequential (conv-bn-tanh-avgpool-flatten-linear-logsoftmax, train)', seq_bn(True), shifted([4, 1, 6, 6], 1.0, 0.2))
    add('Sequential (conv-bn-tanh-avgpool-flatten-linear-logsoftmax, eval)', seq_bn(False), shifted([4, 1, 6, 6], 1.0, 0.2), training=False)

    def seq_emb(seed):
        torch.manual_seed(seed)
        m = nn.Sequential(nn.Embedding(10, 6, padding_idx=1), nn.LayerNorm(6), nn.Linear(6, 3), nn.Softmax(dim=-1)).double()
        randomised_affine(m[1], seed)
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(p.float().double())
        return m
    add('Sequential (embedding-layernorm-linear-softmax)', seq_emb, indices([3, 4], 10, extra=(1,)), index=True)
    return cases


def randomised_affine(m, seed):
    """γ = 1 + 0.3·N(0, 1), β = 0.2·N(0, 1) (float32 values) for a norm layer with an affine map, so
    that its scale and shift are not the identity PyTorch starts from."""
    if getattr(m, 'weight', None) is None:
        return m
    g = np.random.default_rng(seed)
    with torch.no_grad():
        m.weight.copy_(torch.tensor(f32(1 + 0.3 * g.standard_normal(tuple(m.weight.shape)))))
        m.bias.copy_(torch.tensor(f32(0.2 * g.standard_normal(tuple(m.bias.shape)))))
    return m


def warmed(m, seed, shape, training, steps=3):
    """Three SGD steps (lr 0.1) in training mode on random batches of `shape` and random projections,
    so that the running statistics (and the affine parameters) are not PyTorch's initial ones; then
    every parameter and buffer rounded to float32, and the mode of the case."""
    g = np.random.default_rng(seed)
    torch.manual_seed(seed)
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d) or isinstance(mod, nn.Linear):
            with torch.no_grad():
                for p in mod.parameters():
                    p.copy_(p.float().double())
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            randomised_affine(mod, seed)
    m.train()
    params = list(m.parameters())
    opt = torch.optim.SGD(params, lr=0.1) if params else None
    for _ in range(steps):
        xb = torch.tensor(f32(g.standard_normal(shape) * 1.5 + 0.4))
        y = m(xb)
        r = torch.tensor(f32(g.standard_normal(tuple(y.shape))))
        if opt:
            opt.zero_grad()
            (y * r).sum().backward()
            opt.step()
    m.zero_grad()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.float().double())
        for n, b in m.named_buffers():
            if b.dtype.is_floating_point:
                b.copy_(b.float().double())
    m.train(training)
    return m


def make_layers():
    out = {}
    for i, c in enumerate(layer_cases()):
        rng = np.random.default_rng(1000 + i)
        x_np = c['make_input'](rng)
        mask = None
        if c['mask_p'] is not None:
            mask = f32((rng.uniform(size=x_np.shape) >= c['mask_p']).astype(np.float64))
            m = MaskedDropout(c['mask_p'], c['mode'], torch.tensor(mask), c['training'])
        else:
            m = c['build'](2000 + i)
        if c['index']:
            # class indices: a LongTensor, not differentiable (its "gradient" is zeros)
            x = torch.tensor(x_np, dtype=torch.long)
        else:
            x = torch.tensor(x_np, requires_grad=True)
        buffers = {n: flat(b) for n, b in m.named_buffers()}
        buffer_shapes = {n: list(b.shape) for n, b in m.named_buffers()}
        y = m(x)
        r = torch.tensor(normal(rng, list(y.shape)))
        (y * r).sum().backward()
        names = [n for n, _ in m.named_parameters()]
        case = {
            'inputShape': list(x_np.shape),
            'input': flat(x_np),
            'params': {n: flat(p) for n, p in m.named_parameters()},
            'paramShapes': {n: list(p.shape) for n, p in m.named_parameters()},
            'buffers': buffers,
            'bufferShapes': buffer_shapes,
            'r': flat(r),
            'outputShape': list(y.shape),
            'output': flat(y),
            'dx': flat(np.zeros(x_np.shape)) if c['index'] else flat(x.grad),
            'grads': {n: flat(p.grad) for n, p in m.named_parameters()},
            'paramOrder': names,
            'buffersAfter': {n: flat(b) for n, b in m.named_buffers()},
        }
        if c['index']:
            case['inputIsIndex'] = True
        if mask is not None:
            case['mask'] = flat(mask)
            case['p'] = c['mask_p']
            case['mode'] = c['mode']
        if mask is not None or not c['training']:
            case['training'] = c['training']
        out[c['name']] = case
    return out


# ---- losses ---------------------------------------------------------------------------------

def make_losses():
    rng = np.random.default_rng(7)
    out = {}

    def record(name, fn, pred, target, target_is_index=False, meta=None):
        p = torch.tensor(pred, requires_grad=True)
        t = torch.tensor(target, dtype=torch.long) if target_is_index else torch.tensor(target)
        loss = fn(p, t)
        loss.backward()
        out[name] = {
            'predShape': list(pred.shape), 'pred': flat(pred),
            'targetShape': list(np.shape(target)), 'target': flat(np.asarray(target, dtype=np.float64)),
            'targetIsIndex': target_is_index,
            'loss': float(loss.item()), 'grad': flat(p.grad), **(meta or {}),
        }

    probs = lambda shape: f32(0.05 + 0.9 * rng.uniform(size=shape))
    for red in ['mean', 'sum']:
        record(f'MSELoss ({red})', nn.MSELoss(reduction=red), normal(rng, [4, 3]), normal(rng, [4, 3]), meta={'reduction': red})
        record(f'BCELoss ({red})', nn.BCELoss(reduction=red), probs([4, 3]), f32(rng.integers(0, 2, size=[4, 3])), meta={'reduction': red})
        # soft targets too: BCE is defined for any y in [0, 1]
        record(f'BCELoss (soft targets, {red})', nn.BCELoss(reduction=red), probs([3, 2]), probs([3, 2]), meta={'reduction': red})
        record(f'BCEWithLogitsLoss ({red})', nn.BCEWithLogitsLoss(reduction=red), normal(rng, [4, 3], 2.0), probs([4, 3]), meta={'reduction': red})
        labels = rng.integers(0, 5, size=[6])
        logits = normal(rng, [6, 5], 1.5)
        record(f'CrossEntropyLoss (indices, {red})', nn.CrossEntropyLoss(reduction=red), logits, labels.astype(np.float64),
               target_is_index=True, meta={'reduction': red})
        onehot = f32(np.eye(5)[labels])
        record(f'CrossEntropyLoss (one-hot, {red})', nn.CrossEntropyLoss(reduction=red), logits, onehot, meta={'reduction': red})

    # NLLLoss on log-probabilities (a stream of its own: the cases above keep their numbers)
    rng = np.random.default_rng(8)
    for red in ['mean', 'sum']:
        logp = f32(torch.log_softmax(torch.tensor(normal(rng, [6, 5], 1.5)), dim=1).numpy())
        labels = rng.integers(0, 5, size=[6]).astype(np.float64)
        record(f'NLLLoss ({red})', nn.NLLLoss(reduction=red), logp, labels, target_is_index=True, meta={'reduction': red})
        labels[[1, 4]] = -100
        record(f'NLLLoss (ignoreIndex -100, {red})', nn.NLLLoss(reduction=red), logp, labels, target_is_index=True,
               meta={'reduction': red, 'ignoreIndex': -100})
        labels[[1, 4]] = 2
        labels[[0, 3]] = 2
        record(f'NLLLoss (ignoreIndex 2, {red})', nn.NLLLoss(reduction=red, ignore_index=2), logp, labels, target_is_index=True,
               meta={'reduction': red, 'ignoreIndex': 2})
    return out


# ---- edges ----------------------------------------------------------------------------------

def both_dtypes(fn, *arrays):
    """Runs fn(*tensors) in float64 and float32; returns {f64: {...}, f32: {...}}."""
    res = {}
    for key, dt in [('f64', torch.float64), ('f32', torch.float32)]:
        res[key] = fn(*[torch.tensor(a, dtype=dt) for a in arrays])
    return res


def elementwise_edge(module, x):
    x = f32(x)
    r = np.ones_like(x)

    def run(xt, rt):
        xt.requires_grad_(True)
        y = module(xt)
        (y * rt).sum().backward()
        return {'output': flat(y), 'dx': flat(xt.grad)}
    return {'input': flat(x), 'inputShape': list(x.shape), 'r': flat(r), **both_dtypes(run, x, r)}


def loss_edge(loss_fn, pred, target, index=False):
    pred = f32(pred)

    def run(pt, tt):
        pt.requires_grad_(True)
        t = tt.long() if index else tt
        loss = loss_fn(pt, t)
        loss.backward()
        return {'loss': float(loss.item()), 'grad': flat(pt.grad)}
    target = np.asarray(target, dtype=np.float64)
    return {'pred': flat(pred), 'predShape': list(pred.shape), 'target': flat(target), 'targetShape': list(target.shape),
            'targetIsIndex': index, **both_dtypes(run, pred, target)}


def make_edges():
    return {
        "ReLU'(0) = 0": elementwise_edge(nn.ReLU(), [[-1.0, -0.0, 0.0, 2.0]]),
        "3·ReLU'(0) = 0": elementwise_edge(Scaled(nn.ReLU(), 3.0), [[-1.0, 0.0, 2.0]]),
        "LeakyReLU(0.01)'(0) = slope": elementwise_edge(nn.LeakyReLU(0.01), [[-1.0, 0.0, 2.0]]),
        "LeakyReLU(0.1)'(0) = slope": elementwise_edge(nn.LeakyReLU(0.1), [[-1.0, -0.0, 0.0, 2.0]]),
        'Softplus above the threshold': elementwise_edge(nn.Softplus(), [[-100.0, -30.0, 19.0, 20.0, 20.5, 25.0, 100.0, 1000.0]]),
        'Softplus(beta=2, threshold=5) above the threshold': elementwise_edge(
            nn.Softplus(beta=2, threshold=5), [[-50.0, 2.0, 2.5, 2.75, 3.0, 40.0]]),
        'Sigmoid at ±100': elementwise_edge(nn.Sigmoid(), [[-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0]]),
        'Tanh at ±100': elementwise_edge(nn.Tanh(), [[-100.0, -20.0, 0.0, 20.0, 100.0]]),
        # (not −8: there x·½(1 + erf(x/√2)) cancels to ~1e-15 in PyTorch's formula and ours alike,
        # and the two erf implementations disagree in the last bits of that remainder)
        'GELU far out': elementwise_edge(nn.GELU(), [[-40.0, -10.0, 0.0, 8.0, 40.0]]),
        'GELU (tanh) far out': elementwise_edge(nn.GELU(approximate='tanh'), [[-40.0, -10.0, 0.0, 8.0, 40.0]]),
        # ELU'(0) = α (the x ≤ 0 branch), on both sides of 0 and at −0.
        "ELU'(0) = alpha": elementwise_edge(nn.ELU(), [[-1.0, -0.0, 0.0, 2.0]]),
        "ELU(alpha=0.5)'(0) = alpha": elementwise_edge(nn.ELU(alpha=0.5), [[-3.0, -0.0, 0.0, 0.5]]),
        # BCE at ŷ = 0 and ŷ = 1, with both targets: the −100 log clamp keeps the loss finite.
        'BCELoss at 0 and 1 (mean)': loss_edge(nn.BCELoss(), [[0.0, 1.0, 0.0, 1.0, 0.5]], [[1.0, 0.0, 0.0, 1.0, 1.0]]),
        'BCELoss at 0 and 1 (sum)': loss_edge(nn.BCELoss(reduction='sum'), [[0.0, 1.0, 1e-30, 1.0]], [[1.0, 0.0, 1.0, 1.0]]),
        'BCEWithLogitsLoss at ±1000': loss_edge(nn.BCEWithLogitsLoss(), [[-1000.0, 1000.0, -1000.0, 1000.0]], [[1.0, 0.0, 0.0, 1.0]]),
        'CrossEntropyLoss with logits ±1000 (indices)': loss_edge(
            nn.CrossEntropyLoss(), [[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0], [1000.0, 1000.0, -1000.0]], [1, 2, 0], index=True),
        'CrossEntropyLoss with logits ±1000 (one-hot, sum)': loss_edge(
            nn.CrossEntropyLoss(reduction='sum'), [[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]],
            [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    }


# ---- optimisers -----------------------------------------------------------------------------

def make_optim():
    """10 steps on f(p) = ½ (p − c)ᵀ A (p − c), gradient g = A (p − c), A symmetric positive definite.
    Every case twice: in float64 ('iterates'), and with the parameter and the optimiser's state in
    float32 ('iterates32', the gradient computed in float64 from the float32 parameter, then rounded)."""
    rng = np.random.default_rng(11)
    n = 6
    q = rng.standard_normal([n, n])
    A = f32(q @ q.T / n + 0.5 * np.eye(n))
    c = normal(rng, [n])
    p0 = normal(rng, [n])
    cases = {
        'SGD (plain)': ('sgd', dict(lr=0.1)),
        'SGD (momentum 0.9)': ('sgd', dict(lr=0.05, momentum=0.9)),
        'SGD (nesterov)': ('sgd', dict(lr=0.05, momentum=0.9, nesterov=True)),
        'SGD (weight decay)': ('sgd', dict(lr=0.1, weight_decay=0.05)),
        'SGD (momentum 0.9, dampening 0.5)': ('sgd', dict(lr=0.05, momentum=0.9, dampening=0.5)),
        'SGD (momentum 0.9, nesterov, weight decay)': ('sgd', dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
        'Adam': ('adam', dict(lr=0.1)),
        'Adam (betas 0.8/0.99, eps 1e-6)': ('adam', dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
        'Adam (weight decay)': ('adam', dict(lr=0.1, weight_decay=0.1)),
        'AdamW (weight decay 0.1)': ('adamw', dict(lr=0.1, weight_decay=0.1)),
        'AdamW (default weight decay)': ('adamw', dict(lr=0.1)),
        'RMSprop': ('rmsprop', dict(lr=0.01)),
        'RMSprop (alpha 0.9, eps 1e-6)': ('rmsprop', dict(lr=0.01, alpha=0.9, eps=1e-6)),
        'RMSprop (weight decay)': ('rmsprop', dict(lr=0.01, weight_decay=0.1)),
        'RMSprop (momentum 0.9)': ('rmsprop', dict(lr=0.01, momentum=0.9)),
        'RMSprop (centered)': ('rmsprop', dict(lr=0.01, centered=True)),
        'RMSprop (centered, momentum 0.5, weight decay 0.05)': ('rmsprop', dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.05)),
    }
    out = {'A': flat(A), 'c': flat(c), 'p0': flat(p0), 'n': n, 'steps': 10, 'cases': {}}
    At, ct = torch.tensor(A), torch.tensor(c)
    optimizers = {'sgd': torch.optim.SGD, 'adam': torch.optim.Adam, 'adamw': torch.optim.AdamW, 'rmsprop': torch.optim.RMSprop}

    def run(kind, opts, dtype):
        p = torch.tensor(p0.copy(), dtype=dtype, requires_grad=True)
        opt = optimizers[kind]([p], **opts)
        iterates = []
        for _ in range(10):
            opt.zero_grad()
            with torch.no_grad():
                p.grad = (At @ (p.double() - ct)).to(dtype)
            opt.step()
            iterates.append(flat(p))
        return iterates

    for name, (kind, opts) in cases.items():
        js_opts = {
            'lr': opts['lr'], 'momentum': opts.get('momentum'), 'dampening': opts.get('dampening'),
            'nesterov': opts.get('nesterov'), 'weightDecay': opts.get('weight_decay'),
            'betas': list(opts['betas']) if 'betas' in opts else None, 'eps': opts.get('eps'),
            'alpha': opts.get('alpha'), 'centered': opts.get('centered'),
        }
        out['cases'][name] = {
            'kind': kind, 'options': {k: v for k, v in js_opts.items() if v is not None},
            'iterates': run(kind, opts, torch.float64), 'iterates32': run(kind, opts, torch.float32),
        }
    return out


# ---- end to end -----------------------------------------------------------------------------

def run_e2e(model, x, labels, steps=20, lr=0.05, momentum=0.9):
    model = model.double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())
    init = {n: flat(p) for n, p in model.named_parameters()}
    shapes = {n: list(p.shape) for n, p in model.named_parameters()}
    xt = torch.tensor(x)
    yt = torch.tensor(labels, dtype=torch.long)
    loss_fn = nn.CrossEntropyLoss()
    logits = model(xt)
    loss = loss_fn(logits, yt)
    model.zero_grad()
    loss.backward()
    first = {'logits': flat(logits), 'loss': float(loss.item()), 'grads': {n: flat(p.grad) for n, p in model.named_parameters()}}
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return {
        'inputShape': list(x.shape), 'input': flat(x), 'labels': [int(v) for v in labels],
        'init': init, 'paramShapes': shapes, 'paramOrder': list(init.keys()), **first,
        'sgd': {'lr': lr, 'momentum': momentum, 'steps': steps}, 'losses': losses,
        'final': {n: flat(p) for n, p in model.named_parameters()},
    }


def make_e2e():
    rng = np.random.default_rng(5)
    torch.manual_seed(5)
    mlp = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 5))
    x = normal(rng, [8, 20])
    labels = rng.integers(0, 5, size=[8])
    out = {'mlp': run_e2e(mlp, x, labels)}
    torch.manual_seed(6)
    cnn = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 3 * 3, 5))
    xi = f32(rng.uniform(size=[6, 1, 12, 12]))
    labels = rng.integers(0, 5, size=[6])
    out['cnn'] = run_e2e(cnn, xi, labels)
    return out


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'), allow_nan=False)
    print(f'test/fixtures/{name}: {os.path.getsize(path)} bytes')


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {'generator': 'scripts/make_fixtures.py', 'torch': torch.__version__}
    write('layers.json', {'meta': meta, 'cases': make_layers()})
    write('losses.json', {'meta': meta, 'cases': make_losses()})
    write('edges.json', {'meta': meta, 'cases': make_edges()})
    write('optim.json', {'meta': meta, **make_optim()})
    write('e2e.json', {'meta': meta, **make_e2e()})
    write('schedulers.json', {'meta': meta, **make_schedulers()})
    write('clip.json', {'meta': meta, **make_clip()})


if __name__ == '__main__':
    main()
