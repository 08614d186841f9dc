#!/usr/bin/python3
"""A tiny, independent implementation of the safetensors format with struct + json + torch
(Debian has no `safetensors` package), used to prove that handgrad's files interoperate.

  /usr/bin/python3 scripts/safetensors_fixture.py write OUT.safetensors
      writes the fixture test/train/fixtures/torch-mlp.safetensors: the state dict of a seeded
      torch nn.Sequential(Linear(4, 3), ReLU(), Linear(3, 2)) in float32, an extra float64
      tensor 'extra.f64', and metadata {"framework": "pytorch", "note": "written by torch 1.13"};
      beside it OUT.json holds the same values as lists (what the test expects to read).
  /usr/bin/python3 scripts/safetensors_fixture.py read FILE.safetensors
      reads a file (e.g. one written by handgrad) with torch.frombuffer and prints JSON:
      {"metadata": ..., "tensors": {name: {"dtype", "shape", "values"}}}
  /usr/bin/python3 scripts/safetensors_fixture.py bundle MODEL.safetensors SAMPLES.json
      loads a handgrad model bundle into PyTorch: the tensors with safetensors.torch.load_file
      (this file's reader where the `safetensors` package is not installed), the network built
      as torch modules from the LayerConfig in the metadata, filled by
      load_state_dict(strict=True); then normalises the samples (a JSON list of flat samples,
      raw pixel values) with the bundle's normalisation and prints JSON:
      {"loader": ..., "classes": [...], "logits": [[...], ...]}
  /usr/bin/python3 scripts/safetensors_fixture.py checkpoint CHECKPOINT.safetensors SAMPLES.json
      the same for a handgrad training checkpoint: the model's state dict (every tensor but the
      optimiser's 'optimizer/…' and early stopping's 'best/…') into the network of the state's
      model config with load_state_dict(strict=True), normalised with the state's normalisation

The layout (https://github.com/huggingface/safetensors): 8-byte little-endian header length N,
N bytes of JSON header (padded with spaces to a multiple of 8), then the data; tensors sorted by
decreasing dtype size, then by name, contiguous. The test suite never runs Python: the fixture
is committed.
"""
import json
import struct
import sys

import torch

DTYPES = {torch.float32: ('F32', 4), torch.float64: ('F64', 8)}
BACK = {'F32': torch.float32, 'F64': torch.float64}


def write(path, tensors, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-DTYPES[kv[1].dtype][1], kv[0]))
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, t in items:
        t = t.detach().contiguous()
        blob = t.numpy().tobytes()  # little-endian on x86
        header[name] = {'dtype': DTYPES[t.dtype][0], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read(path):
    data = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    body = bytearray(data[8 + n:])
    out = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        dtype = BACK[e['dtype']]
        t = torch.frombuffer(body[b:end], dtype=dtype).reshape(e['shape']) if end > b else torch.zeros(e['shape'], dtype=dtype)
        out[name] = t
    return out, meta


class Scale(torch.nn.Module):
    """x ↦ c·x: handgrad's ReLU with a scale, and CMU dropout at inference (c = 1 − p)."""

    def __init__(self, inner, c):
        super().__init__()
        self.inner, self.c = inner, c

    def forward(self, x):
        return self.c * self.inner(x)


def torch_module(c):
    """The torch module of a handgrad LayerConfig (eval mode: dropout is the identity or a scale)."""
    nn, t = torch.nn, c['type']
    pair = lambda v: tuple(v) if isinstance(v, list) else (v, v)
    if t == 'Sequential':
        return nn.Sequential(*[torch_module(l) for l in c['layers']])
    if t == 'Linear':
        return nn.Linear(c['inFeatures'], c['outFeatures'], bias=c.get('bias', True))
    if t == 'Conv2d':
        return nn.Conv2d(c['inChannels'], c['outChannels'], pair(c['kernelSize']), stride=pair(c.get('stride', 1)),
                         padding=pair(c.get('padding', 0)), bias=c.get('bias', True))
    if t == 'MaxPool2d':
        k = pair(c['kernelSize'])
        return nn.MaxPool2d(k, stride=pair(c['stride']) if c.get('stride') else k, padding=pair(c.get('padding', 0)))
    if t == 'Flatten':
        return nn.Flatten()
    if t == 'ReLU':
        return nn.ReLU() if c.get('scale', 1) == 1 else Scale(nn.ReLU(), c['scale'])
    if t == 'LeakyReLU':
        return nn.LeakyReLU(c.get('negativeSlope', 0.01))
    if t == 'GELU':
        return nn.GELU(approximate=c.get('approximate', 'none'))
    if t == 'Softplus':
        return nn.Softplus(beta=c.get('beta', 1), threshold=c.get('threshold', 20))
    if t == 'Dropout':
        return Scale(nn.Identity(), 1 - c['p']) if c.get('mode') == 'cmu' else nn.Identity()
    if t in ('BatchNorm1d', 'BatchNorm2d'):
        return getattr(nn, t)(c['numFeatures'], eps=c.get('eps', 1e-5), momentum=c.get('momentum', 0.1),
                              affine=c.get('affine', True), track_running_stats=c.get('trackRunningStats', True))
    if t in ('Sigmoid', 'Tanh', 'Identity'):
        return getattr(nn, t)()
    sys.exit(f'bundle: no torch module for layer type {t!r}')


def bundle(path, samples_path, checkpoint=False):
    try:
        from safetensors.torch import load_file
        tensors, loader = load_file(path), 'safetensors.torch.load_file'
        meta = read(path)[1]
    except ImportError:
        (tensors, meta), loader = read(path), 'safetensors_fixture.read'
    if checkpoint:
        state = json.loads(meta['state'])
        tensors = {k: v for k, v in tensors.items() if not k.startswith(('optimizer/', 'best/'))}
        meta = {'model': json.dumps(state['model']), 'normalization': json.dumps(state['normalization']),
                'data': json.dumps({'sampleShape': state.get('sampleShape', [])}), 'classes': 'null'}
    model = torch_module(json.loads(meta['model']))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    norm, data = json.loads(meta['normalization']), json.loads(meta['data'])
    x = torch.tensor(json.load(open(samples_path)), dtype=torch.float32)
    mean, std = torch.tensor(norm['mean']), torch.tensor(norm['std'])
    x = (x - mean) / std
    first = model[0] if isinstance(model, torch.nn.Sequential) else model
    if isinstance(first, torch.nn.Conv2d):
        shape = data['sampleShape']
        side = int(round(x.shape[1] ** 0.5))
        x = x.reshape(x.shape[0], *(shape if len(shape) == 3 else [1, side, side]))
    with torch.no_grad():
        logits = model(x)
    print(json.dumps({'loader': loader, 'classes': json.loads(meta['classes']), 'logits': logits.tolist()}))


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == 'write':
        torch.manual_seed(1234)
        model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
        tensors = {k: v.float() for k, v in model.state_dict().items()}
        tensors['extra.f64'] = torch.arange(6, dtype=torch.float64).reshape(2, 3) / 7
        write(path, tensors, {'framework': 'pytorch', 'note': 'written by torch ' + torch.__version__})
        x = torch.tensor([[0.5, -1.0, 2.0, 0.25]])
        expected = {
            'tensors': {k: {'shape': list(v.shape), 'dtype': DTYPES[v.dtype][0], 'values': v.flatten().tolist()} for k, v in tensors.items()},
            'input': x.flatten().tolist(),
            'output': model(x).detach().flatten().tolist(),
        }
        with open(path.replace('.safetensors', '.json'), 'w') as f:
            json.dump(expected, f, indent=1)
    elif cmd == 'bundle':
        bundle(path, sys.argv[3])
    elif cmd == 'checkpoint':
        bundle(path, sys.argv[3], checkpoint=True)
    elif cmd == 'read':
        tensors, meta = read(path)
        print(json.dumps({'metadata': meta, 'tensors': {k: {'dtype': str(v.dtype), 'shape': list(v.shape), 'values': v.flatten().tolist()} for k, v in tensors.items()}}))
    else:
        sys.exit('usage: safetensors_fixture.py write|read FILE, or bundle|checkpoint FILE SAMPLES.json')


if __name__ == '__main__':
    main()
