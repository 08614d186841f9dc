// handgrad's WebAssembly kernels for batch normalisation (AssemblyScript, re-exported by
// assembly/kernels.ts and compiled with it by scripts/build-wasm.mjs).
//
// Same conventions as kernels.ts: raw pointers into the imported memory, float32 tensors, the
// table's arrays first, then the other arguments. x is [batch, channels, spatial] and each
// channel's statistics run over its M = batch·spatial values (ref: src/kernels/ref/norm.ts).
// The sums run in float64 in two f64x2 lanes, four floats per step; the elementwise maps do the
// reference's float64 operations in the reference's order and round once, so they give the
// reference's bits from the same per-channel numbers; the sums differ from the reference's
// sequential order by float64 roundings only.

import { BN_BATCH } from '../src/kernels/wasm/abi-shared';

// @ts-ignore: decorator
@inline function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}
/** Two f64x2 halves back into one f32x4 (each lane rounded to nearest, as a Float32Array store). */
// @ts-ignore: decorator
@inline function narrow(l: v128, h: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(l), f32x4.demote_f64x2_zero(h), 0, 1, 4, 5);
}
/** The sum of the two lanes of an f64x2. */
// @ts-ignore: decorator
@inline function lanes(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
/** The four floats of v summed pairwise into an f64x2: (v0 + v2, v1 + v3). */
// @ts-ignore: decorator
@inline function pairSum(v: v128): v128 {
  return f64x2.add(lo(v), hi(v));
}

/**
 * ref: batchNormStats. Per channel c: mean[c] = (1/M) Σ x, variance[c] = (1/M) Σ (x − mean)²
 * (biased), two passes, float64 sums.
 */
export function batchNormStats(x: usize, mean: usize, variance: usize, batch: i32, channels: i32, spatial: i32): void {
  const M = <f64>batch * <f64>spatial;
  for (let c = 0; c < channels; c++) {
    let acc = f64x2.splat(0);
    let s: f64 = 0;
    for (let b = 0; b < batch; b++) {
      const o = x + <usize>(b * channels + c) * <usize>spatial * 4;
      let k = 0;
      for (; k + 4 <= spatial; k += 4) acc = f64x2.add(acc, pairSum(v128.load(o + <usize>k * 4)));
      for (; k < spatial; k++) s += <f64>load<f32>(o + <usize>k * 4);
    }
    const mu = (lanes(acc) + s) / M;
    const m = f64x2.splat(mu);
    acc = f64x2.splat(0);
    let q: f64 = 0;
    for (let b = 0; b < batch; b++) {
      const o = x + <usize>(b * channels + c) * <usize>spatial * 4;
      let k = 0;
      for (; k + 4 <= spatial; k += 4) {
        const v = v128.load(o + <usize>k * 4);
        const dl = f64x2.sub(lo(v), m);
        const dh = f64x2.sub(hi(v), m);
        acc = f64x2.add(acc, f64x2.add(f64x2.mul(dl, dl), f64x2.mul(dh, dh)));
      }
      for (; k < spatial; k++) {
        const d = <f64>load<f32>(o + <usize>k * 4) - mu;
        q += d * d;
      }
    }
    store<f32>(mean + <usize>c * 4, <f32>mu);
    store<f32>(variance + <usize>c * 4, <f32>((lanes(acc) + q) / M));
  }
}

/**
 * ref: batchNormForward. y = (x − mean[c])·a + β[c] with a = invStd[c]·γ[c] (γ = 1, β = 0 for a
 * null weight / bias), in float64.
 */
export function batchNormForward(
  x: usize, mean: usize, invStd: usize, weight: usize, bias: usize, y: usize, batch: i32, channels: i32, spatial: i32,
): void {
  for (let c = 0; c < channels; c++) {
    const a = <f64>load<f32>(invStd + <usize>c * 4) * (weight != 0 ? <f64>load<f32>(weight + <usize>c * 4) : 1);
    const mu = <f64>load<f32>(mean + <usize>c * 4);
    const beta = bias != 0 ? <f64>load<f32>(bias + <usize>c * 4) : 0;
    const av = f64x2.splat(a), mv = f64x2.splat(mu), bv = f64x2.splat(beta);
    for (let b = 0; b < batch; b++) {
      const off = <usize>(b * channels + c) * <usize>spatial * 4;
      let k = 0;
      for (; k + 4 <= spatial; k += 4) {
        const v = v128.load(x + off + <usize>k * 4);
        const l = f64x2.add(f64x2.mul(f64x2.sub(lo(v), mv), av), bv);
        const h = f64x2.add(f64x2.mul(f64x2.sub(hi(v), mv), av), bv);
        v128.store(y + off + <usize>k * 4, narrow(l, h));
      }
      for (; k < spatial; k++) {
        const p = off + <usize>k * 4;
        store<f32>(y + p, <f32>((<f64>load<f32>(x + p) - mu) * a + beta));
      }
    }
  }
}

/**
 * ref: batchNormBackward. Per channel, x̂ = (x − mean)·invStd, S₁ = Σ dy, S₂ = Σ dy·x̂:
 * dweight += S₂, dbias += S₁ (when given); dx = a·(dy − S₁/M − x̂·S₂/M) for batch statistics
 * (statistics = BN_BATCH), a·dy for running ones, a = γ·invStd.
 */
export function batchNormBackward(
  x: usize, dy: usize, mean: usize, invStd: usize, weight: usize, dweight: usize, dbias: usize, dx: usize,
  batch: i32, channels: i32, spatial: i32, statistics: i32,
): void {
  const M = <f64>batch * <f64>spatial;
  for (let c = 0; c < channels; c++) {
    const mu = <f64>load<f32>(mean + <usize>c * 4);
    const is = <f64>load<f32>(invStd + <usize>c * 4);
    const mv = f64x2.splat(mu), iv = f64x2.splat(is);
    let a1 = f64x2.splat(0), a2 = f64x2.splat(0);
    let s1: f64 = 0, s2: f64 = 0;
    for (let b = 0; b < batch; b++) {
      const off = <usize>(b * channels + c) * <usize>spatial * 4;
      let k = 0;
      for (; k + 4 <= spatial; k += 4) {
        const g = v128.load(dy + off + <usize>k * 4);
        const v = v128.load(x + off + <usize>k * 4);
        const gl = lo(g), gh = hi(g);
        a1 = f64x2.add(a1, f64x2.add(gl, gh));
        const tl = f64x2.mul(gl, f64x2.mul(f64x2.sub(lo(v), mv), iv));
        const th = f64x2.mul(gh, f64x2.mul(f64x2.sub(hi(v), mv), iv));
        a2 = f64x2.add(a2, f64x2.add(tl, th));
      }
      for (; k < spatial; k++) {
        const p = off + <usize>k * 4;
        const g = <f64>load<f32>(dy + p);
        s1 += g;
        s2 += g * ((<f64>load<f32>(x + p) - mu) * is);
      }
    }
    s1 += lanes(a1);
    s2 += lanes(a2);
    if (dweight != 0) store<f32>(dweight + <usize>c * 4, <f32>(<f64>load<f32>(dweight + <usize>c * 4) + s2));
    if (dbias != 0) store<f32>(dbias + <usize>c * 4, <f32>(<f64>load<f32>(dbias + <usize>c * 4) + s1));
    const a = (weight != 0 ? <f64>load<f32>(weight + <usize>c * 4) : 1) * is;
    const av = f64x2.splat(a);
    const running = statistics != BN_BATCH;
    const m1 = f64x2.splat(running ? 0 : s1 / M);
    const m2 = f64x2.splat(running ? 0 : s2 / M);
    for (let b = 0; b < batch; b++) {
      const off = <usize>(b * channels + c) * <usize>spatial * 4;
      let k = 0;
      for (; k + 4 <= spatial; k += 4) {
        const g = v128.load(dy + off + <usize>k * 4);
        let l: v128, h: v128;
        if (running) {
          l = f64x2.mul(av, lo(g));
          h = f64x2.mul(av, hi(g));
        } else {
          const v = v128.load(x + off + <usize>k * 4);
          l = f64x2.mul(av, f64x2.sub(f64x2.sub(lo(g), m1), f64x2.mul(f64x2.mul(f64x2.sub(lo(v), mv), iv), m2)));
          h = f64x2.mul(av, f64x2.sub(f64x2.sub(hi(g), m1), f64x2.mul(f64x2.mul(f64x2.sub(hi(v), mv), iv), m2)));
        }
        v128.store(dx + off + <usize>k * 4, narrow(l, h));
      }
      for (; k < spatial; k++) {
        const p = off + <usize>k * 4;
        const g = <f64>load<f32>(dy + p);
        const r = running ? a * g : a * (g - s1 / M - (<f64>load<f32>(x + p) - mu) * is * (s2 / M));
        store<f32>(dx + p, <f32>r);
      }
    }
  }
}
