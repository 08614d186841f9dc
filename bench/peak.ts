// The 128-bit WebAssembly SIMD ceiling of this machine, measured beside the GEMMs: a
// register-only loop of 12 independent f32x4 chains (relaxed FMA where the engine has it, else
// mul + add), no memory traffic. No GEMM written in WebAssembly can beat it, so the bench prints
// it next to the GEMM table and states the GEMM as a fraction of it (the host's speed swings by
// ±30 % from minute to minute; the fraction does not).

import v8 from 'node:v8';
import binaryen from 'binaryen';

export interface PeakProbe {
  label: string;
  /** One call of the loop: `n` iterations of 12 chains × 4 lanes × 2 flops. */
  run(n: number): number;
  flopsPerIter: number;
  /** GFLOP/s of the fastest of `runs` calls of about 0.1 ms each (a call that ran undisturbed). */
  measure(runs?: number): number;
}

export function peakProbe(): PeakProbe | null {
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const CHAINS = 12;
  for (const fma of [true, false]) {
    const body: string[] = [];
    for (let i = 0; i < CHAINS; i++) {
      body.push(fma
        ? `(local.set $c${i} (f32x4.relaxed_madd (local.get $a) (local.get $b) (local.get $c${i})))`
        : `(local.set $c${i} (f32x4.add (f32x4.mul (local.get $a) (local.get $b)) (local.get $c${i})))`);
    }
    let acc = '(local.get $c0)';
    for (let i = 1; i < CHAINS; i++) acc = `(f32x4.add ${acc} (local.get $c${i}))`;
    const wat = `(module (func (export "run") (param $n i32) (result f32) (local $a v128) (local $b v128)
      ${Array.from({ length: CHAINS }, (_, i) => `(local $c${i} v128)`).join(' ')}
      (local.set $a (f32x4.splat (f32.const 1.0000001))) (local.set $b (f32x4.splat (f32.const 0.9999999)))
      (loop $l ${body.join(' ')}
        (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n)))
      (f32x4.extract_lane 0 ${acc})))`;
    const mod = binaryen.parseText(wat);
    mod.setFeatures(binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD);
    const bytes = new Uint8Array(mod.emitBinary()); // a copy on a plain ArrayBuffer
    mod.dispose();
    let run: (n: number) => number;
    try {
      run = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.run as (n: number) => number;
    } catch {
      continue; // no relaxed SIMD here: the mul + add probe
    }
    const n = 2e4;
    const flopsPerCall = CHAINS * 8 * n;
    // 0.3 s of warm-up: V8 first runs the module in its baseline compiler (Liftoff, about a third
    // of the speed) until the optimising tier has compiled it in the background
    const t0 = performance.now();
    while (performance.now() - t0 < 300) run(n);
    return {
      label: fma ? 'relaxed FMA' : 'mul + add',
      run,
      flopsPerIter: CHAINS * 8,
      measure(runs = 500): number {
        let best = Infinity;
        for (let r = 0; r < runs; r++) {
          const t = performance.now();
          run(n);
          best = Math.min(best, performance.now() - t);
        }
        return flopsPerCall / (best * 1e6);
      },
    };
  }
  return null;
}
