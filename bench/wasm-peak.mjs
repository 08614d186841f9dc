#!/usr/bin/env node
// The 128-bit SIMD ceiling of this machine right now, to put bench/wasm-gemm.ts's figures in
// context: a register-only loop of 8 independent f32x4 chains (mul+add, or relaxed FMA), no
// memory traffic. Whatever the GEMM reaches is bounded by this. Run: node bench/wasm-peak.mjs
import v8 from 'node:v8';
import binaryen from 'binaryen';

function wat(fma) {
  const body = [];
  for (let i = 0; i < 8; i++) {
    body.push(fma
      ? `(local.set $c${i} (f32x4.relaxed_madd (local.get $a) (local.get $b) (local.get $c${i})))`
      : `(local.set $c${i} (f32x4.add (f32x4.mul (local.get $a) (local.get $b)) (local.get $c${i})))`);
  }
  let acc = '(local.get $c0)';
  for (let i = 1; i < 8; i++) acc = `(f32x4.add ${acc} (local.get $c${i}))`;
  return `(module (func (export "run") (param $n i32) (result f32) (local $a v128) (local $b v128)
    ${Array.from({ length: 8 }, (_, i) => `(local $c${i} v128)`).join(' ')}
    (local.set $a (f32x4.splat (f32.const 1.0000001))) (local.set $b (f32x4.splat (f32.const 0.9999999)))
    (loop $l ${body.join(' ')}
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n)))
    (f32x4.extract_lane 0 ${acc})))`;
}

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
for (const [name, fma] of [['mul+add', false], ['relaxed FMA', true]]) {
  const mod = binaryen.parseText(wat(fma));
  mod.setFeatures(binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD);
  const bytes = mod.emitBinary();
  mod.dispose();
  let instance;
  try {
    instance = (await WebAssembly.instantiate(bytes)).instance;
  } catch (e) {
    console.log(`${name}: not supported here (${e.message.split('\n')[0]})`);
    continue;
  }
  // short runs (~0.1 ms), many of them: on a busy machine the best one ran undisturbed,
  // which is how bench/wasm-gemm.ts --min measures GEMM calls too
  const n = 3e4;
  for (let r = 0; r < 50; r++) instance.exports.run(n);
  const res = [];
  for (let r = 0; r < 1500; r++) {
    const t = performance.now();
    instance.exports.run(n);
    res.push((64 * n) / ((performance.now() - t) * 1e6));
  }
  res.sort((a, b) => b - a);
  console.log(`${name}: 128-bit peak ${res[0].toFixed(1)} GFLOP/s (fastest of 1500 runs of 0.1 ms), median ${res[750].toFixed(1)}`);
}
