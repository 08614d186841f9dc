#!/usr/bin/env node
// The 128-bit SIMD ceiling of this machine right now, to put the GEMM figures in context: the
// register-only probe of bench/peak.ts (12 independent f32x4 chains, relaxed FMA where the engine
// has it), as `npm run bench` runs it. Run: npm run build && node bench/wasm-peak.mjs
import { peakProbe } from '../dist/bench/peak.js';

const probe = peakProbe();
if (!probe) {
  console.log('no WebAssembly SIMD here');
} else {
  const runs = Array.from({ length: 9 }, () => probe.measure(300)).sort((a, b) => a - b);
  console.log(`${probe.label}: 128-bit peak ${runs[8].toFixed(1)} GFLOP/s (fastest of 9 × 300 calls of ≈ 0.1 ms), median ${runs[4].toFixed(1)}`);
}
