// Property tests over every reader: valid files mutated (bits flipped, bytes overwritten,
// inserted, cut) and arbitrary bytes. Each reader must return, or throw a HandgradError (a
// DataError for the data readers), within a time budget — never another exception type, never
// a hang. Inputs stay under a few KB; the seed is fixed so a run is reproducible (set
// HANDGRAD_FUZZ_SEED and HANDGRAD_FUZZ_RUNS to explore further).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, zipSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadImageFolder } from '../../src/data/image-folder-node.js';
import { idxDataset, maybeGunzip, parseIdx, writeIdxU8 } from '../../src/data/idx.js';
import { npzDataset, parseNpy, parseNpz, writeNpy } from '../../src/data/npy.js';
import { pickleDataset, unpickle } from '../../src/data/pickle.js';
import { Module, type LayerConfig } from '../../src/layers/module.js';
import { LAYER_TYPES, layerFromConfig } from '../../src/layers/registry.js';
import { resolveConfig, type TrainConfig } from '../../src/train/config.js';
import { decodePng, encodePng } from '../../src/io/png-node.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { HandgradError, Tensor } from '../../src/tensor.js';
import { fixture } from '../data/helpers.js';
import * as f from './files.js';
import { tempDir } from './harness.js';

const SEED = Number(process.env['HANDGRAD_FUZZ_SEED'] ?? 1313);
const RUNS = Number(process.env['HANDGRAD_FUZZ_RUNS'] ?? 150);
/** Every call returns or refuses within this many milliseconds (generous: the machine is shared). */
const CALL_MS = 1500;

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'set'; at: number; value: number } | { kind: 'insert'; at: number; bytes: Uint8Array } | { kind: 'cut'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);

function mutate(base: Uint8Array, ms: Mutation[]): Uint8Array {
  let b: Uint8Array = base.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at]! ^= 1 << m.bit;
    else if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'insert') b = f.bytes(b.subarray(0, at), m.bytes, b.subarray(at));
    else b = b.subarray(0, at);
  }
  return b;
}

/** Mutations of one of `bases`, or arbitrary bytes (sometimes behind the bases' first bytes). */
function hostileFrom(bases: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.nat({ max: bases.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([i, ms]) => mutate(bases[i]!, ms)) },
    { weight: 1, arbitrary: fc.tuple(fc.nat({ max: bases.length - 1 }), fc.nat({ max: 64 }), fc.uint8Array({ maxLength: 2048 })).map(([i, n, tail]) => f.bytes(bases[i]!.subarray(0, n), tail)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }) },
  );
}

/** `read` returns or throws a `type` within CALL_MS. */
function holds(read: (bytes: Uint8Array) => unknown, type: new (...a: never[]) => Error = HandgradError as never): (bytes: Uint8Array) => void {
  return (bytes) => {
    const t0 = performance.now();
    try {
      read(bytes);
    } catch (e) {
      if (!(e instanceof type)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message?.slice(0, 300)}`, { cause: e });
      expect((e as Error).message.length).toBeLessThan(1000);
    }
    const ms = performance.now() - t0;
    if (ms > CALL_MS) throw new Error(`took ${ms.toFixed(0)} ms on ${bytes.length} bytes`);
  };
}

function check(bases: Uint8Array[], read: (bytes: Uint8Array) => unknown, type?: new (...a: never[]) => Error): void {
  fc.assert(fc.property(hostileFrom(bases), holds(read, type)), { seed: SEED, numRuns: RUNS });
}

// ---- the valid files mutated -------------------------------------------------------------------

const idx = f.idxFiles(12, 4, 3);
const npys = [writeNpy('<f4', [2, 3], new Uint8Array(24)), fixture('f8_fortran.npy'), fixture('i8.npy'), fixture('be_i4.npy'), fixture('u1_v2.npy'), fixture('u1_v3.npy')];
const pickles = ['omni_p2.pkl', 'omni_p3.pkl', 'omni_p4.pkl', 'omni_p5.pkl', 'omni_p5_fortran.pkl'].map(fixture);
const npzs = [fixture('tiny.npz'), fixture('tiny_compressed.npz'), f.labelNpz(f.labels(12, 3), f.labels(6, 3), 4)];
const pngs = [encodePng({ width: 5, height: 4, data: new Uint8Array(80).fill(200) }), f.blackPng(9, 7), f.interlacedBombPng(72)];
const safetensors = [writeSafetensors({ a: Tensor.fromArray([1, 2, 3]), b: Tensor.fromArray([[1, 2], [3, 4]], undefined, 'float64') }, { format: 'handgrad', epoch: '3' })];

describe('fuzz: every reader returns or refuses with its own error, quickly', () => {
  it('pickle', () => {
    check(pickles, (b) => pickleDataset(b, 'f.pkl'));
    check(pickles, (b) => unpickle(b, 'f.pkl'));
  });

  it('npy', () => check(npys, (b) => parseNpy(b, 'f.npy')));

  it('npz (whole archive, and the four data set members)', () => {
    check(npzs, (b) => parseNpz(b, 'f.npz'));
    check(npzs, (b) => npzDataset(b, 'f.npz', { name: 'f' }));
  });

  it('idx, raw and gzipped (one and several members)', () => {
    const gz = [gzipSync(idx.trainImages), f.bytes(gzipSync(idx.trainImages.subarray(0, 100)), gzipSync(idx.trainImages.subarray(100)))];
    check([idx.trainImages, idx.trainLabels, ...gz], (b) => parseIdx(b, 'f.idx'));
    check([idx.trainImages, ...gz], (b) => idxDataset({ ...idx, trainImages: b }, { name: 'f' }));
  });

  it('gzip', () => check([gzipSync(new Uint8Array(300).fill(7)), gzipSync(idx.trainLabels, { level: 0 })], (b) => maybeGunzip(b, 'f.gz', 1 << 20)));

  it('png', () => check(pngs, (b) => decodePng(b, 'f.png')));

  it('png folders', () => {
    const dir = tempDir('fuzz-png');
    let k = 0;
    fc.assert(
      fc.property(hostileFrom(pngs), (b) => {
        const root = join(dir, String(k++));
        for (const c of ['a', 'b']) mkdirSync(join(root, c), { recursive: true });
        writeFileSync(join(root, 'a', '0.png'), pngs[0]!);
        writeFileSync(join(root, 'a', '1.png'), b);
        writeFileSync(join(root, 'b', '0.png'), pngs[0]!);
        holds(() => loadImageFolder(root))(b);
        rmSync(root, { recursive: true, force: true });
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('safetensors bytes', () => check(safetensors, (b) => readSafetensors(b, 'f.safetensors')));

  it('safetensors headers: arbitrary JSON in place of the header', () => {
    const entry = fc.record({
      dtype: fc.oneof(fc.constantFrom('F32', 'F64', 'U8', 'toString', '__proto__', 'constructor'), fc.jsonValue()),
      shape: fc.oneof(fc.array(fc.oneof(fc.nat({ max: 8 }), fc.integer(), fc.double()), { maxLength: 5 }), fc.jsonValue()),
      data_offsets: fc.oneof(fc.tuple(fc.nat({ max: 64 }), fc.nat({ max: 64 })), fc.jsonValue()),
    }, { requiredKeys: [] });
    const header = fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__metadata__', '__proto__', 'constructor')), fc.oneof(entry, fc.jsonValue()), { maxKeys: 4 });
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 64 }), (h, data) => holds((b) => readSafetensors(b, 'h.safetensors'))(f.safetensorsOf(h, data))),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('a zip written here, then mutated (stored and deflated members)', () => {
    const zip = zipSync({ 'x_train.npy': npys[0]!, 'y.npy': npys[2]! }, { level: 6 });
    check([zip, f.zipOf([f.stored('x_train.npy', npys[0]!)])], (b) => parseNpz(b, 'z.npz'));
  });

  it('idx headers announcing any shape', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 256 }), fc.boolean(), (dims, data, gz) => {
        const raw = f.bytes(writeIdxU8(dims.map((d) => d % 2 ** 32), new Uint8Array(0)), data);
        holds((b) => parseIdx(b, 'd.idx'))(gz ? gzipSync(raw) : raw);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

// ---- configs -----------------------------------------------------------------------------------
//
// layerFromConfig and resolveConfig read JSON from files (config.json, a checkpoint's metadata):
// every hostile config — an inherited name as the layer type ("__proto__", "constructor"), a
// null config, sizes whose product no typed array can hold — ends in a HandgradError.

const layerConfig = fc.record({
  type: fc.oneof(fc.constantFrom(...LAYER_TYPES, '__proto__', 'constructor', 'hasOwnProperty', 'valueOf'), fc.string({ maxLength: 6 })),
  inFeatures: fc.oneof(fc.nat({ max: 4 }), fc.constantFrom(1e9, -1, 0.5), fc.jsonValue()),
  outFeatures: fc.oneof(fc.nat({ max: 4 }), fc.constantFrom(1e9, -1), fc.jsonValue()),
  layers: fc.array(fc.jsonValue(), { maxLength: 3 }),
  kernelSize: fc.oneof(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 })), fc.jsonValue()),
}, { requiredKeys: ['type'] });

describe('fuzz: config loaders', () => {
  it('layerFromConfig refuses every hostile layer config with a HandgradError', () => {
    fc.assert(fc.property(layerConfig, (c) => {
      try {
        const m = layerFromConfig(c as LayerConfig);
        if (!(m instanceof Module)) throw new Error(`returned ${String(m)}, not a layer`);
      } catch (e) {
        if (!(e instanceof HandgradError)) throw e;
      }
    }), { seed: SEED, numRuns: RUNS });
  });

  it('resolveConfig refuses every hostile train config with a HandgradError', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom('lr', 'model', 'epochs', 'batchSize', 'optimizer'), fc.jsonValue())), (c) => {
      try {
        resolveConfig(c as Partial<TrainConfig>);
      } catch (e) {
        if (!(e instanceof HandgradError)) throw e;
      }
    }), { seed: SEED, numRuns: RUNS });
  });
});
