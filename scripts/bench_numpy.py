#!/usr/bin/python3
"""numpy contestant of `npm run bench` (bench/run.ts starts it as a child process).

    bench_numpy.py --threads N '<task-json>'

A vectorised reference written the way the CMU assignment asks: each layer is a class with
forward / backward / step / zerograd over whole minibatch matrices (no Python loop per sample),
float32 throughout. It speaks the line protocol of bench/protocol.ts on stdin/stdout, and also
times GEMM alone (task "gemm") on the same operand layouts as handgrad's Linear layer.
Also imported by bench_torch.py for the shared parts (data, protocol, BLAS info, peak memory).
"""
import gzip
import json
import os
import sys
import time


def parse_args(argv):
    threads = None
    rest = []
    i = 0
    while i < len(argv):
        if argv[i] == '--threads':
            threads = int(argv[i + 1])
            i += 2
        else:
            rest.append(argv[i])
            i += 1
    if len(rest) != 1:
        raise SystemExit("usage: bench_*.py --threads N '<task-json>'")
    return threads, json.loads(rest[0])


def set_thread_env(threads):
    """Must run before numpy (and its BLAS) is loaded."""
    if threads:
        for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ[k] = str(threads)


if __name__ == '__main__':
    THREADS, TASK = parse_args(sys.argv[1:])
    set_thread_env(THREADS)

import numpy as np  # noqa: E402

PREFIX = '@@bench '


def send(obj):
    sys.stdout.write(PREFIX + json.dumps(obj) + '\n')
    sys.stdout.flush()


def peak_rss_kib():
    """VmHWM (the resident-set high-water mark) of this process, in KiB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return -1


def blas_info():
    """Which BLAS this process loaded and, for OpenBLAS, which kernel it chose (threadpoolctl if
    it is importable, else the same questions asked through ctypes)."""
    info = {'env': {k: os.environ.get(k) for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_NUM_THREADS', 'LD_LIBRARY_PATH')}}
    try:
        import threadpoolctl
        info['threadpoolctl'] = threadpoolctl.threadpool_info()
    except Exception as e:  # not installed here: fall back to ctypes
        info['threadpoolctl'] = 'unavailable (%s)' % e.__class__.__name__
    import ctypes
    libs = set()
    with open('/proc/self/maps') as f:
        for line in f:
            p = line.split()[-1]
            if p.startswith('/') and ('blas' in p or 'mkl' in p):
                libs.add(p)
    info['libraries'] = sorted(libs)
    for p in sorted(libs):
        try:
            lib = ctypes.CDLL(p)
        except OSError:
            continue
        for suffix in ('', '64_'):
            try:
                core = getattr(lib, 'openblas_get_corename' + suffix)
                conf = getattr(lib, 'openblas_get_config' + suffix)
                nthreads = getattr(lib, 'openblas_get_num_threads' + suffix)
            except AttributeError:
                continue
            core.restype = ctypes.c_char_p
            conf.restype = ctypes.c_char_p
            info['openblas'] = {'library': p, 'corename': core().decode(), 'config': conf().decode(), 'threads': nthreads()}
            break
    if 'openblas' not in info:
        ref = [p for p in libs if '/blas/libblas' in p]
        info['warning'] = ('the reference (netlib) BLAS is loaded, not OpenBLAS: anchors are ~100x slower than '
                           'with OpenBLAS (see bench/README.md)') if ref else 'no OpenBLAS found'
    return info


# ---- data ----------------------------------------------------------------------------------

def _read_idx(path, dims):
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    if raw[2] != 0x08 or raw[3] != dims:
        raise ValueError('%s: not an unsigned-byte IDX file with %d dimensions' % (path, dims))
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_data(spec):
    """(x float32 [n, features], y int64 [n]) as the Node contestants see them (data-node.ts)."""
    if spec['kind'] == 'idx':
        img = _read_idx(spec['images'], 3)
        lab = _read_idx(spec['labels'], 1)
        x = (img.reshape(img.shape[0], -1).astype(np.float32) / np.float32(255))
        return x, lab.astype(np.int64)
    if spec['kind'] == 'npy':
        # W3r: the arrays the runner wrote from real Omniglot drawings (bench/omniglot-node.ts)
        x = np.load(spec['x'])
        y = np.load(spec['y'])
        if x.dtype != np.float32 or x.shape != (spec['n'], spec['features']) or y.shape != (spec['n'],):
            raise ValueError('%s: expected float32 %r, got %s %r' % (spec['x'], (spec['n'], spec['features']), x.dtype, x.shape))
        return x, y.astype(np.int64)
    rng = np.random.default_rng(spec['seed'])
    x = rng.random((spec['n'], spec['features']), dtype=np.float32)
    y = rng.integers(0, spec['classes'], spec['n'])
    return x, y


# ---- the assignment-style layers: forward / backward / step / zerograd ------------------------

class Linear:
    """y = x Wᵀ + b; W: (out, in), PyTorch's U(−1/√in, 1/√in) init."""

    def __init__(self, n_in, n_out, rng):
        bound = 1.0 / np.sqrt(n_in)
        self.params = [rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32),
                       rng.uniform(-bound, bound, n_out).astype(np.float32)]
        self.grads = [np.zeros_like(p) for p in self.params]

    def forward(self, x, train):
        self.x = x
        W, b = self.params
        return x @ W.T + b

    def backward(self, dy):
        W, _ = self.params
        self.grads[0] += dy.T @ self.x       # dW += dyᵀ x
        self.grads[1] += dy.sum(axis=0)      # db += Σ_batch dy
        return dy @ W                        # dx = dy W


class ReLU:
    params = []

    def forward(self, x, train):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dy):
        return dy * self.mask


class Dropout:
    """Inverted dropout: train y = x · m / (1 − p), one uniform number per unit."""
    params = []

    def __init__(self, p, rng):
        self.p = np.float32(p)
        self.rng = rng

    def forward(self, x, train):
        if not train:
            return x
        self.mask = (self.rng.random(x.shape, dtype=np.float32) >= self.p) * (np.float32(1) / (np.float32(1) - self.p))
        return x * self.mask

    def backward(self, dy):
        return dy * self.mask


class Conv2d:
    """Cross-correlation, stride 1, zero padding; im2col with a sliding-window view."""

    def __init__(self, c_in, c_out, k, pad, rng):
        bound = 1.0 / np.sqrt(c_in * k * k)
        self.k, self.pad = k, pad
        self.params = [rng.uniform(-bound, bound, (c_out, c_in, k, k)).astype(np.float32),
                       rng.uniform(-bound, bound, c_out).astype(np.float32)]
        self.grads = [np.zeros_like(p) for p in self.params]

    def forward(self, x, train):
        B, C, H, W = x.shape
        k, p = self.k, self.pad
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        OH, OW = H + 2 * p - k + 1, W + 2 * p - k + 1
        win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))   # B, C, OH, OW, k, k
        self.cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(B * OH * OW, C * k * k)
        self.shape = (B, C, H, W, OH, OW)
        Wt, b = self.params
        y = self.cols @ Wt.reshape(Wt.shape[0], -1).T + b                            # (B·OH·OW, OC)
        return np.ascontiguousarray(y.reshape(B, OH, OW, -1).transpose(0, 3, 1, 2))

    def backward(self, dy):
        B, C, H, W, OH, OW = self.shape
        k, p = self.k, self.pad
        Wt, _ = self.params
        dy2 = dy.transpose(0, 2, 3, 1).reshape(B * OH * OW, -1)                      # (B·OH·OW, OC)
        self.grads[0] += (dy2.T @ self.cols).reshape(Wt.shape)
        self.grads[1] += dy2.sum(axis=0)
        dcols = (dy2 @ Wt.reshape(Wt.shape[0], -1)).reshape(B, OH, OW, C, k, k)
        dxp = np.zeros((B, C, H + 2 * p, W + 2 * p), dtype=np.float32)
        for i in range(k):          # col2im: a loop over the k·k kernel offsets, not over samples
            for j in range(k):
                dxp[:, :, i:i + OH, j:j + OW] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        return dxp[:, :, p:p + H, p:p + W]


class MaxPool2d:
    """k×k windows, stride k (H and W divisible by k)."""
    params = []

    def __init__(self, k):
        self.k = k

    def forward(self, x, train):
        B, C, H, W = x.shape
        k = self.k
        xr = x.reshape(B, C, H // k, k, W // k, k)
        y = xr.max(axis=(3, 5))
        self.mask = xr == y[:, :, :, None, :, None]
        self.xshape = x.shape
        return y

    def backward(self, dy):
        return (self.mask * dy[:, :, :, None, :, None]).reshape(self.xshape)


class Flatten:
    params = []

    def forward(self, x, train):
        self.xshape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return dy.reshape(self.xshape)


class SoftmaxCrossEntropy:
    """Mean over the batch of −log softmax(z)[label]; returns (loss, dL/dz)."""

    def __call__(self, z, labels):
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        probs = e / e.sum(axis=1, keepdims=True)
        B = z.shape[0]
        rows = np.arange(B)
        loss = -np.log(probs[rows, labels]).mean()
        grad = probs
        grad[rows, labels] -= 1
        grad /= np.float32(B)
        return float(loss), grad


class Model:
    def __init__(self, layers, lr, momentum):
        self.layers = layers
        self.lr = np.float32(lr)
        self.momentum = np.float32(momentum)
        self.bufs = [[np.zeros_like(p) for p in l.params] for l in layers] if momentum else None

    def forward(self, x, train=True):
        for l in self.layers:
            x = l.forward(x, train)
        return x

    def backward(self, dy):
        for l in reversed(self.layers):
            dy = l.backward(dy)
        return dy

    def zerograd(self):
        for l in self.layers:
            for g in getattr(l, 'grads', []):
                g.fill(0)

    def step(self):
        """SGD with momentum: G_M ← α·G_M + G, W ← W − lr·G_M (α = 0: plain SGD)."""
        for li, l in enumerate(self.layers):
            for pi, (p, g) in enumerate(zip(l.params, getattr(l, 'grads', []))):
                if self.bufs is not None:
                    buf = self.bufs[li][pi]
                    buf *= self.momentum
                    buf += g
                    g = buf
                p -= self.lr * g


def build(spec, rng):
    layers = []
    for l in spec['layers']:
        t = l['type']
        if t == 'linear':
            layers.append(Linear(l['in'], l['out'], rng))
        elif t == 'relu':
            layers.append(ReLU())
        elif t == 'dropout':
            layers.append(Dropout(l['p'], rng))
        elif t == 'conv':
            layers.append(Conv2d(l['in'], l['out'], l['k'], l['pad'], rng))
        elif t == 'maxpool':
            layers.append(MaxPool2d(l['k']))
        elif t == 'flatten':
            layers.append(Flatten())
        else:
            raise ValueError('unknown layer type %r' % t)
    return Model(layers, spec['lr'], spec['momentum'])


# ---- the protocol loop ---------------------------------------------------------------------

def serve(info, step=None, gemm=None, batch=0):
    """Answers `ready`, then train / gemm / exit commands (bench/protocol.ts)."""
    send({'type': 'ready', 'info': info})
    for line in sys.stdin:
        if not line.strip():
            continue
        c = json.loads(line)
        if c['cmd'] == 'train':
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            steps, loss = 0, float('nan')
            while True:
                loss = step()
                steps += 1
                t = time.perf_counter()
                if steps >= c['minSteps'] and t - t0 >= c['seconds']:
                    break
            send({'type': 'train', 'steps': steps, 'samples': steps * batch, 'seconds': t - t0,
                  'cpuSeconds': time.process_time() - cpu0, 'loss': loss})
        elif c['cmd'] == 'gemm':
            run = gemm(c['shape'])
            run()  # first call: outside the timing
            t0 = time.perf_counter()
            calls = 0
            while True:
                run()
                calls += 1
                t = time.perf_counter()
                if calls >= c['minCalls'] and t - t0 >= c['seconds']:
                    break
            send({'type': 'gemm', 'calls': calls, 'seconds': t - t0})
        elif c['cmd'] == 'exit':
            send({'type': 'exit', 'maxRssKiB': peak_rss_kib()})
            return


def batches(x, y, spec):
    B = spec['batch']
    n = (x.shape[0] // B) * B
    xs = x[:n].reshape((n // B, B) + tuple(spec['sampleShape']))  # views, like a slice per batch
    ys = y[:n].reshape(n // B, B)
    return xs, ys


def main_numpy(task, threads):
    info = {'numpy': np.__version__, 'threads': threads, 'blas': blas_info()}
    if task['task'] == 'gemm':
        rng = np.random.default_rng(5)
        cache = {}

        def gemm(s):
            if s['name'] not in cache:
                M, N, K = s['M'], s['N'], s['K']
                A = rng.uniform(-1, 1, (K, M) if s['transA'] else (M, K)).astype(np.float32)
                Bm = rng.uniform(-1, 1, (N, K) if s['transB'] else (K, N)).astype(np.float32)
                C = np.zeros((M, N), dtype=np.float32)
                a = A.T if s['transA'] else A
                b = Bm.T if s['transB'] else Bm
                cache[s['name']] = lambda: np.matmul(a, b, out=C)   # one sgemm, transposes as flags
            return cache[s['name']]
        serve(info, gemm=gemm)
        return
    spec = task['workload']
    x, y = load_data(spec['data'])
    xs, ys = batches(x, y, spec)
    model = build(spec, np.random.default_rng(1))
    loss_fn = SoftmaxCrossEntropy()
    state = {'i': 0}

    def step():
        i = state['i']
        state['i'] = (i + 1) % len(xs)
        model.zerograd()
        logits = model.forward(xs[i])
        loss, dz = loss_fn(logits, ys[i])
        model.backward(dz)
        model.step()
        return loss

    info['batches'] = len(xs)
    serve(info, step=step, batch=spec['batch'])


if __name__ == '__main__':
    try:
        main_numpy(TASK, THREADS)
    except Exception as e:  # reported to the runner, which shows it in the table
        import traceback
        send({'type': 'error', 'message': '%s\n%s' % (e, traceback.format_exc())})
        sys.exit(1)
