#!/usr/bin/python3
"""PyTorch contestant of `npm run bench` (bench/run.ts starts it as a child process).

    bench_torch.py --threads N '<task-json>'

The same network as every other contestant, built with torch.nn from the workload's layer list,
trained with torch.optim.SGD and F.cross_entropy, float32, CPU, torch.set_num_threads(N).
Speaks the line protocol of bench/protocol.ts (shared code in bench_numpy.py).
"""
import json
import os
import sys

if __name__ == '__main__':
    # The thread count must be in the environment before torch (and its BLAS) is loaded.
    _argv = sys.argv[1:]
    THREADS = int(_argv[_argv.index('--threads') + 1]) if '--threads' in _argv else None
    TASK = json.loads(_argv[-1])
    if THREADS:
        for _k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ[_k] = str(THREADS)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from bench_numpy import batches, blas_info, load_data, send, serve  # noqa: E402


def build(spec):
    torch.manual_seed(1)
    layers = []
    for l in spec['layers']:
        t = l['type']
        if t == 'linear':
            layers.append(torch.nn.Linear(l['in'], l['out']))
        elif t == 'relu':
            layers.append(torch.nn.ReLU())
        elif t == 'dropout':
            layers.append(torch.nn.Dropout(l['p']))
        elif t == 'conv':
            layers.append(torch.nn.Conv2d(l['in'], l['out'], l['k'], padding=l['pad']))
        elif t == 'maxpool':
            layers.append(torch.nn.MaxPool2d(l['k']))
        elif t == 'flatten':
            layers.append(torch.nn.Flatten())
        else:
            raise ValueError('unknown layer type %r' % t)
    return torch.nn.Sequential(*layers)


def main_torch(task, threads):
    if threads:
        torch.set_num_threads(threads)
    info = {'torch': torch.__version__, 'threads': torch.get_num_threads(),
            'mkldnn': torch.backends.mkldnn.is_available(), 'blas': blas_info()}
    if task['task'] != 'train':
        raise ValueError('bench_torch.py runs training tasks only')
    spec = task['workload']
    x, y = load_data(spec['data'])
    xs, ys = batches(x, y, spec)
    xs = torch.from_numpy(xs)
    ys = torch.from_numpy(ys)
    model = build(spec)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=spec['lr'], momentum=spec['momentum'])
    state = {'i': 0}

    def step():
        i = state['i']
        state['i'] = (i + 1) % len(xs)
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i]), ys[i])
        loss.backward()
        opt.step()
        return loss.item()

    info['batches'] = len(xs)
    serve(info, step=step, batch=spec['batch'])


if __name__ == '__main__':
    try:
        main_torch(TASK, THREADS)
    except Exception as e:
        import traceback
        send({'type': 'error', 'message': '%s\n%s' % (e, traceback.format_exc())})
        sys.exit(1)
