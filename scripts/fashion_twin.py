#!/usr/bin/python3
"""The PyTorch twin of handgrad's Fashion-MNIST run:

  npx handgrad train --data fashion-mnist --hidden 150,150 --momentum 0.4 --dropout 0.2 \
      --lr 0.01 --batch-size 64 --epochs 20

784-150-150-10 MLP (ReLU, inverted dropout 0.2 after each hidden ReLU), cross-entropy, SGD
lr 0.01 momentum 0.4, batch 64, reshuffled every epoch, inputs scaled to [0, 1] then normalised
with the global mean/std of the training images (handgrad's default --normalize global).
Reads Debian's dataset-fashion-mnist IDX files (or DIR given as the first argument).
Prints one JSON line per epoch and the final test accuracy.

  /usr/bin/python3 scripts/fashion_twin.py [DIR] [--epochs N] [--seed S]
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch


def idx(path):
    op = gzip.open if path.endswith('.gz') else open
    with op(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>I', data[:4])
    ndim = magic & 0xff
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(d, stem):
    for name in (stem + '.gz', stem):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    raise SystemExit(f'{stem}(.gz) not found in {d}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir', nargs='?', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--epochs', type=int, default=20)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    xtr = torch.tensor(idx(find(a.dir, 'train-images-idx3-ubyte')).reshape(-1, 784), dtype=torch.float32) / 255
    ytr = torch.tensor(idx(find(a.dir, 'train-labels-idx1-ubyte')), dtype=torch.long)
    xte = torch.tensor(idx(find(a.dir, 't10k-images-idx3-ubyte')).reshape(-1, 784), dtype=torch.float32) / 255
    yte = torch.tensor(idx(find(a.dir, 't10k-labels-idx1-ubyte')), dtype=torch.long)
    mean, std = xtr.mean(), xtr.std(unbiased=False)
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 150), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(150, 150), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(150, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.4)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(1, a.epochs + 1):
        t0 = time.time()
        model.train()
        perm = torch.randperm(len(ytr))
        losses, correct = [], 0
        for i in range(0, len(ytr), 64):
            idxs = perm[i:i + 64]
            out = model(xtr[idxs])
            loss = loss_fn(out, ytr[idxs])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            correct += (out.argmax(1) == ytr[idxs]).sum().item()
        model.eval()
        with torch.no_grad():
            out = model(xte)
            test_loss = loss_fn(out, yte).item()
            test_acc = (out.argmax(1) == yte).float().mean().item()
        print(json.dumps({'epoch': epoch, 'trainLoss': sum(losses) / len(losses), 'trainAccuracy': correct / len(ytr),
                          'testLoss': test_loss, 'testAccuracy': test_acc, 'seconds': time.time() - t0}), flush=True)
    print(f'final test accuracy {100 * test_acc:.2f}% (torch {torch.__version__})')


if __name__ == '__main__':
    main()
