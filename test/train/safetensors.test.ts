import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, SafetensorsError } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor.js';
import { buildFromConfig } from '../../src/train/config.js';
import { loadWeights } from '../../src/train/loop.js';
import { torchReady } from '../torch.js';

const fixtures = join(import.meta.dirname, 'fixtures');

function sample(): Map<string, Tensor> {
  return new Map([
    ['0.weight', Tensor.fromArray([1.5, -2, 3.25, 1e-30, -0, 7], [2, 3])],
    ['0.bias', Tensor.fromArray([0.1, 0.2], [2])],
    ['scale', Tensor.fromArray([Math.PI, -Math.E, 1e300], [3], 'float64')],
    ['empty', Tensor.zeros([0, 4])],
  ]);
}

function header(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
}

/** A file built by hand from a header object and a data buffer. */
function fileOf(h: unknown, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(typeof h === 'string' ? h : JSON.stringify(h));
  if (pad && json.length % 8) json = new Uint8Array([...json, ...new Array(8 - (json.length % 8)).fill(0x20)]);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips F32 and F64 tensors and metadata bit for bit', () => {
    const t = sample();
    const bytes = writeSafetensors(t, { epoch: '3', note: 'héllo' });
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ epoch: '3', note: 'héllo' });
    expect([...back.tensors.keys()].sort()).toEqual([...t.keys()].sort());
    for (const [name, orig] of t) {
      const r = back.tensors.get(name)!;
      expect(r.dtype).toBe(orig.dtype);
      expect(r.shape).toEqual(orig.shape);
      expect(Object.is(r.data[4], orig.data[4])).toBe(true); // -0 survives
      expect(Array.from(r.data)).toEqual(Array.from(orig.data));
    }
  });

  it('lays the file out like the reference writer: padded header, F64 first, then by name, no gaps', () => {
    const bytes = writeSafetensors(sample());
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const h = header(bytes) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    expect(h.scale!.data_offsets).toEqual([0, 24]);
    expect(h['0.bias']!.data_offsets).toEqual([24, 32]);
    expect(h['0.weight']!.data_offsets).toEqual([32, 56]);
    expect(h.empty!.data_offsets).toEqual([56, 56]);
    expect(bytes.length).toBe(8 + n + 56);
    expect(bytes[8 + n - 1]).toBe(0x20);
  });

  it('reads the file PyTorch wrote (fixture from scripts/safetensors_fixture.py) and reproduces its output', () => {
    const bytes = new Uint8Array(readFileSync(join(fixtures, 'torch-mlp.safetensors')));
    const expected = JSON.parse(readFileSync(join(fixtures, 'torch-mlp.json'), 'utf8')) as {
      tensors: Record<string, { shape: number[]; dtype: string; values: number[] }>; input: number[]; output: number[];
    };
    const f = readSafetensors(bytes, 'torch-mlp.safetensors');
    expect(f.metadata.framework).toBe('pytorch');
    for (const [name, e] of Object.entries(expected.tensors)) {
      const t = f.tensors.get(name)!;
      expect(t.shape).toEqual(e.shape);
      expect(t.dtype).toBe(e.dtype === 'F64' ? 'float64' : 'float32');
      expect(Array.from(t.data)).toEqual(e.values.map((v) => (e.dtype === 'F32' ? Math.fround(v) : v)));
    }
    // the same Sequential in handgrad, loaded by state-dict name, computes PyTorch's output
    const model = buildFromConfig({ type: 'Sequential', layers: [
      { type: 'Linear', inFeatures: 4, outFeatures: 3 }, { type: 'ReLU' }, { type: 'Linear', inFeatures: 3, outFeatures: 2 },
    ] });
    f.tensors.delete('extra.f64');
    loadWeights(model, f.tensors, 'torch-mlp.safetensors');
    const y = model.forward(Tensor.fromArray(expected.input, [1, 4]));
    Array.from(y.data).forEach((v, i) => expect(v).toBeCloseTo(expected.output[i]!, 6));
  });

  it.skipIf(!torchReady)('is read by PyTorch (torch.frombuffer) with the same values (runs only where python3-torch exists)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-st-'));
    const path = join(dir, 'w.safetensors');
    writeFileSync(path, writeSafetensors(sample(), { who: 'handgrad' }));
    const out = JSON.parse(execFileSync('/usr/bin/python3', [join(import.meta.dirname, '../../scripts/safetensors_fixture.py'), 'read', path], { encoding: 'utf8' })) as {
      metadata: Record<string, string>; tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
    };
    expect(out.metadata).toEqual({ who: 'handgrad' });
    for (const [name, t] of sample()) {
      expect(out.tensors[name]!.shape).toEqual(t.shape);
      expect(out.tensors[name]!.dtype).toBe(t.dtype === 'float64' ? 'torch.float64' : 'torch.float32');
      expect(out.tensors[name]!.values).toEqual(Array.from(t.data));
    }
  });

  describe('corrupt files are refused with the byte offset', () => {
    const good = writeSafetensors(sample());
    const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).buffer);
    const cases: [string, Uint8Array, RegExp][] = [
      ['too short', good.subarray(0, 5), /byte 0: .*too short/],
      ['header length past the end', good.subarray(0, 40), /byte 0: header length \d+ runs past the end/],
      ['huge header length', (() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; })(), /byte 0: .*16 MiB/],
      ['not JSON', fileOf('{"a": nope}', new Uint8Array(0)), /byte 8: the header is not valid JSON/],
      ['not an object', fileOf('[1, 2]   ', new Uint8Array(0), false), /byte 8: the header must start with '\{'/],
      ['unknown dtype', fileOf({ a: { dtype: 'F31', shape: [1], data_offsets: [0, 4] } }, f32(1)), /byte 8: tensor 'a': unknown dtype "F31"/],
      ['size does not match the shape', fileOf({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)), /byte \d+: tensor 'a': F32 \[2\] needs 8 bytes/],
      ['gap between tensors', fileOf({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3)), /tensor 'b' starts at data offset 8 but the previous tensor ends at 4/],
      ['overlap', fileOf({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), /overlap or gap/],
      ['truncated data', good.subarray(0, good.length - 4), /truncated/],
      ['trailing bytes', new Uint8Array([...good, 1, 2, 3, 4]), /4 bytes after the last tensor/],
      ['bad metadata', fileOf({ __metadata__: { a: 1 } }, new Uint8Array(0)), /"__metadata__"."a" must be a string/],
      ['negative offsets', fileOf({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, new Uint8Array(0)), /data_offsets must be/],
      ['a dtype handgrad does not read', fileOf({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /byte \d+: tensor 'a' has dtype F16/],
    ];
    for (const [what, bytes, message] of cases) {
      it(what, () => {
        expect(() => readSafetensors(bytes, 'w.safetensors')).toThrow(SafetensorsError);
        expect(() => readSafetensors(bytes, 'w.safetensors')).toThrow(message);
        expect(() => readSafetensors(bytes, 'w.safetensors')).toThrow(/^w\.safetensors: byte \d+/);
      });
    }
  });

  it('refuses bad input to the writer', () => {
    expect(() => writeSafetensors([['a', Tensor.zeros([1])], ['a', Tensor.zeros([1])]])).toThrow(/appears twice/);
    expect(() => writeSafetensors({ __metadata__: Tensor.zeros([1]) })).toThrow(/reserved/);
    expect(() => writeSafetensors({}, { a: 1 as unknown as string })).toThrow(/metadata 'a' must be a string/);
  });
});
