"""The training toolkit's fixtures (imported by make_fixtures.py, which writes them):

  schedulers.json  the lr of every step of torch.optim.lr_scheduler's schedulers (≥ 100 steps,
                   several settings each): lrs[0] is the lr after construction, lrs[k] after the
                   k-th scheduler.step() (ReduceLROnPlateau: step(metrics[k-1]))
  clip.json        torch.nn.utils.clip_grad_norm_ / clip_grad_value_ on a few gradients, float64
                   and float32: the total norm returned and the clipped gradients
"""

import math

import numpy as np
import torch


def _flat(t):
    return [float(v) for v in t.detach().double().reshape(-1).tolist()]


def make_schedulers():
    S = torch.optim.lr_scheduler
    steps = 120
    cases = {
        'StepLR (30, 0.1)': ('step', dict(step_size=30, gamma=0.1), S.StepLR),
        'StepLR (7, default gamma)': ('step', dict(step_size=7), S.StepLR),
        'MultiStepLR (10, 40, 40, 90; 0.5)': ('multistep', dict(milestones=[10, 40, 40, 90], gamma=0.5), S.MultiStepLR),
        'MultiStepLR (30, 60)': ('multistep', dict(milestones=[30, 60]), S.MultiStepLR),
        'ExponentialLR (0.95)': ('exp', dict(gamma=0.95), S.ExponentialLR),
        'ExponentialLR (0.999)': ('exp', dict(gamma=0.999), S.ExponentialLR),
        'CosineAnnealingLR (T 120)': ('cosine', dict(T_max=120), S.CosineAnnealingLR),
        'CosineAnnealingLR (T 50, eta 0.001, past T)': ('cosine', dict(T_max=50, eta_min=0.001), S.CosineAnnealingLR),
        'CosineAnnealingLR (T 7, restarts)': ('cosine', dict(T_max=7, eta_min=0.01), S.CosineAnnealingLR),
        'LinearLR (defaults)': ('warmup', dict(), S.LinearLR),
        'LinearLR (warm-up 0.01 → 1 over 100)': ('warmup', dict(start_factor=0.01, total_iters=100), S.LinearLR),
        'LinearLR (decay 1 → 0.25 over 60)': ('warmup', dict(start_factor=1.0, end_factor=0.25, total_iters=60), S.LinearLR),
        'OneCycleLR (two-phase, cos)': ('onecycle', dict(max_lr=0.1, total_steps=121), S.OneCycleLR),
        'OneCycleLR (two-phase, linear, pct 0.25)': ('onecycle', dict(max_lr=0.3, total_steps=121, pct_start=0.25, anneal_strategy='linear'), S.OneCycleLR),
        'OneCycleLR (three-phase, cos)': ('onecycle', dict(max_lr=0.1, total_steps=121, three_phase=True), S.OneCycleLR),
        'OneCycleLR (three-phase, linear, div 10/100)': ('onecycle', dict(max_lr=0.05, total_steps=121, three_phase=True, anneal_strategy='linear', div_factor=10.0, final_div_factor=100.0), S.OneCycleLR),
    }
    rng = np.random.default_rng(21)
    # a loss that falls, then wanders on a plateau, then falls again and wanders
    metrics = np.concatenate([
        np.linspace(2.0, 1.0, 30), 1.0 + 0.01 * rng.standard_normal(40),
        np.linspace(1.0, 0.5, 20), 0.5 + 0.02 * rng.standard_normal(30)]).tolist()
    plateau = {
        'ReduceLROnPlateau (defaults)': dict(),
        'ReduceLROnPlateau (patience 3, factor 0.5)': dict(patience=3, factor=0.5),
        'ReduceLROnPlateau (abs threshold 0.01, cooldown 4)': dict(patience=2, factor=0.5, threshold=0.01, threshold_mode='abs', cooldown=4),
        'ReduceLROnPlateau (rel threshold 0.05, min lr 0.01)': dict(patience=1, factor=0.3, threshold=0.05, min_lr=0.01),
        'ReduceLROnPlateau (max mode, abs)': dict(mode='max', patience=2, factor=0.5, threshold_mode='abs', threshold=0.001),
    }
    out = {'baseLr': 0.1, 'steps': steps, 'metrics': metrics, 'cases': {}}

    def optimizer():
        return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)

    camel = {'step_size': 'stepSize', 'T_max': 'tMax', 'eta_min': 'etaMin', 'start_factor': 'startFactor', 'end_factor': 'endFactor',
             'total_iters': 'totalIters', 'max_lr': 'maxLr', 'total_steps': 'totalSteps', 'pct_start': 'pctStart',
             'anneal_strategy': 'annealStrategy', 'div_factor': 'divFactor', 'final_div_factor': 'finalDivFactor',
             'three_phase': 'threePhase', 'threshold_mode': 'thresholdMode', 'min_lr': 'minLr'}

    def js(opts):
        return {camel.get(k, k): v for k, v in opts.items()}

    for name, (kind, opts, cls) in cases.items():
        opt = optimizer()
        extra = dict(cycle_momentum=False) if kind == 'onecycle' else {}
        sched = cls(opt, **opts, **extra)
        lrs = [opt.param_groups[0]['lr']]
        for _ in range(steps):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]['lr'])
        out['cases'][name] = {'kind': kind, 'options': js(opts), 'lrs': lrs}
    for name, opts in plateau.items():
        opt = optimizer()
        sched = S.ReduceLROnPlateau(opt, **opts)
        ms = metrics if opts.get('mode') != 'max' else [-m for m in metrics]
        lrs = [opt.param_groups[0]['lr']]
        for m in ms[:steps]:
            opt.step()
            sched.step(m)
            lrs.append(opt.param_groups[0]['lr'])
        out['cases'][name] = {'kind': 'plateau', 'options': js(opts), 'lrs': lrs, 'negateMetrics': opts.get('mode') == 'max'}
    return out


def make_clip():
    rng = np.random.default_rng(31)
    shapes = [[4, 3], [3], [2, 2, 2]]
    grads = [np.float32(rng.standard_normal(s)).astype(np.float64) for s in shapes]
    cases = {
        'norm 2, clips': ('norm', dict(max_norm=1.0, norm_type=2.0)),
        'norm 2, under the limit': ('norm', dict(max_norm=100.0, norm_type=2.0)),
        'norm inf, clips': ('norm', dict(max_norm=0.5, norm_type=math.inf)),
        'norm 1, clips': ('norm', dict(max_norm=2.0, norm_type=1.0)),
        'value 0.5': ('value', dict(clip_value=0.5)),
    }
    out = {'shapes': shapes, 'grads': [_flat(torch.tensor(g)) for g in grads], 'cases': {}}
    for name, (kind, opts) in cases.items():
        case = {'kind': kind, 'maxNorm': opts.get('max_norm'), 'normType': 'Infinity' if opts.get('norm_type') == math.inf else opts.get('norm_type'),
                'clipValue': opts.get('clip_value')}
        for dtype, key in [(torch.float64, ''), (torch.float32, '32')]:
            params = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in shapes]
            for p, g in zip(params, grads):
                p.grad = torch.tensor(g, dtype=dtype)
            if kind == 'norm':
                total = torch.nn.utils.clip_grad_norm_(params, **opts)
                case['total' + key] = float(total)
            else:
                torch.nn.utils.clip_grad_value_(params, **opts)
            case['clipped' + key] = [_flat(p.grad) for p in params]
        out['cases'][name] = {k: v for k, v in case.items() if v is not None}
    return out
