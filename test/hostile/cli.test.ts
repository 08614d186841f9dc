// The reproductions of the hostile-input report that exhaust memory or hang, through the real
// `handgrad` command: each runs in a child process with a capped heap and a timeout, and must
// end in one line naming the file and the problem (exit code 2), within 30 s and well under 1 GB
// of peak memory (harness.ts). Where the input is legitimate after all (a stray label, an unused
// bomb inside an NPZ), the command must succeed, warn, and stay as small. The cases refused
// from a header or a trailer before any cost (CRC-32, ISIZE, long names, shapes over the cap,
// interlaced PNG data, NaN weights) are checked in-process in readers.test.ts.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as f from './files.js';
import { expectInBudget, expectRefusal, runCli, tempDir, type CliResult } from './harness.js';

const dir = tempDir('hostile-cli');
const p = (name: string): string => join(dir, name);
const write = (name: string, bytes: Uint8Array): string => {
  mkdirSync(join(p(name), '..'), { recursive: true });
  writeFileSync(p(name), bytes);
  return p(name);
};
const train = (data: string, ...more: string[]): Promise<CliResult> =>
  runCli(['train', '--data', data, '--epochs', '1', '--hidden', '8', '--backend', 'ref', '--no-progress', '--out', p(`runs/${Math.random().toString(36).slice(2)}`), ...more], dir);

/** A folder of the four IDX files, `trainImages` replaced when given. */
function idxFolder(name: string, trainImages?: Uint8Array): string {
  const i = f.idxFiles();
  write(`${name}/train-images-idx3-ubyte${trainImages ? '.gz' : ''}`, trainImages ?? i.trainImages);
  write(`${name}/train-labels-idx1-ubyte`, i.trainLabels);
  write(`${name}/t10k-images-idx3-ubyte`, i.testImages);
  write(`${name}/t10k-labels-idx1-ubyte`, i.testLabels);
  return p(name);
}

const canFifo = process.platform === 'linux';
const run = p('run');

beforeAll(async () => {
  // one small trained run for the commands that take a model
  const r = await runCli(['train', '--data', idxFolder('ok'), '--epochs', '1', '--hidden', '8', '--backend', 'ref', '--quiet', '--out', run], dir);
  expect(r.code, r.stderr).toBe(0);
  write('big.png', f.blackPng(50000, 50000));
});

describe.concurrent('hostile input through the CLI: clean refusals within budget', () => {
  it('a 1 MB pickle of 10⁶ nested tuples: refused at the 65th level', async () => {
    expectRefusal(await train(write('nested.pkl', f.pickleNestedTuples(1_000_000))), /nested\.pkl: byte 67: pickle: tuples nested more than 64 deep/);
  });

  it('an 84-byte pickle of 2⁴⁰ leaves by shared references: a bounded message', async () => {
    const pkl = write('dup40.pkl', f.pickleDoublings(40));
    expect(readFileSync(pkl).length).toBe(84);
    expectRefusal(await train(pkl), /dup40\.pkl: pickle holds tuple\(/);
  });

  it('one label of 2³¹−1 in an NPZ: one more class, and a warning', async () => {
    const r = await train(write('label-max.npz', f.labelNpz(f.labels(600, 10, [[5, 2 ** 31 - 1]]), f.labels(100, 10))));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*label-max\.npz: the labels are not 0…10 but 0–9, 2147483647/);
    expect(r.stderr).toMatch(/warning: .*y_test: no samples of class '2147483647'/);
    expect(r.stdout).toMatch(/11 classes/);
    expectInBudget(r);
  });

  it('an NPZ with an unused member of 2 GiB trains without inflating it', async () => {
    const r = await train(write('unused.npz', f.npzWithUnusedBomb(2 ** 31)));
    expect(r.code, r.stderr).toBe(0);
    expectInBudget(r);
    expect(r.rssMB).toBeLessThan(250);
  });

  it('an NPZ member inflating past the size its NPY header announces', async () => {
    expectRefusal(await train(write('lying.npz', f.npzWithLyingMember(2 ** 30))), /lying\.npz: byte \d+: member 'x_train\.npy': inflates to more than the 2688 bytes its NPY header announces/);
  });

  it('a gzipped IDX whose stream inflates far past its header stops at the header\'s size', async () => {
    expectRefusal(await train(idxFolder('idx-bomb', f.gzipHeadThenZeros(f.idxImageHeader(60, 8, 8), 800_000_000, false))), /inflates to more than the 3856 bytes its IDX header announces/);
  });

  it('a 2 MB PNG of 50000×50000 in an image folder is refused from its header', async () => {
    for (const c of ['a', 'b']) for (let k = 0; k < 2; k++) write(`pngs/${c}/${k}.png`, f.blackPng(8, 8));
    copyFileSync(p('big.png'), p('pngs/a/2.png'));
    expectRefusal(await train(p('pngs')), /pngs\/a\/2\.png: byte 16: the image is 50000×50000 \(2500000000 pixels\), more than the 16777216/);
  });

  it('the same PNG given to predict and to dream --from', async () => {
    expectRefusal(await runCli(['predict', '--model', run, '--backend', 'ref', p('big.png')], dir), /big\.png: byte 16: the image is 50000×50000/);
    expectRefusal(await runCli(['dream', '--model', run, '--class', '0', '--backend', 'ref', '--from', p('big.png'), '--out', p('dream')], dir), /big\.png: byte 16: the image is 50000×50000/);
  });

  it.runIf(canFifo)('a FIFO, /dev/zero and /proc/self/mem as --data are refused by name, without waiting', async () => {
    execFileSync('mkfifo', [p('fifo')]);
    expectRefusal(await train(p('fifo')), /fifo: is a FIFO \(named pipe\), not a regular file/);
    expectRefusal(await train('/dev/zero'), /\/dev\/zero: is a character device, not a regular file/);
    expectRefusal(await train('/proc/self/mem'), /\/proc\/self\/mem: its size is 0 bytes/);
  });

  it.runIf(canFifo)('a FIFO or /dev/zero as the model file is refused by name, without waiting', async () => {
    execFileSync('mkfifo', [join(run, 'fifo.safetensors')]);
    symlinkSync('/dev/zero', join(run, 'zero.safetensors'));
    expectRefusal(await runCli(['eval', '--model', join(run, 'fifo.safetensors'), '--backend', 'ref'], dir), /fifo\.safetensors: is a FIFO/);
    expectRefusal(await runCli(['eval', '--model', join(run, 'zero.safetensors'), '--backend', 'ref'], dir), /zero\.safetensors: is a character device/);
    // a run directory whose model file is a FIFO
    mkdirSync(p('fifo-run'));
    execFileSync('mkfifo', [join(p('fifo-run'), 'model.safetensors')]);
    expectRefusal(await runCli(['eval', '--model', p('fifo-run'), '--backend', 'ref'], dir), /fifo-run\/model\.safetensors is not a regular file/);
  });
});
