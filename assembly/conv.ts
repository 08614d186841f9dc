// Direct convolutions with stride 1 (ref: conv2dForward, conv2dBackwardData, conv2dBackwardFilter
// in src/kernels/ref/conv.ts), re-exported by kernels.ts.
//
// One image at a time, its C input planes are copied with their zero padding into the thread's
// scratch: planes of Hp rows (Hp = H + 2·ph) of Wp = W + pw floats, each row pw zeros then the W
// inputs, one plane after the other, P = Hp·Wp floats each, with zeros after the last. A row's
// right padding is the next row's left padding: the padded column pw + W + k (k < pw) is column k
// of the row below, a zero. In that flat layout the output pixel (oy, ox) sits at p = oy·Wp + ox
// and its tap (i, j) of channel c at c·P + p + i·Wp + j, so one output row of Wp positions is a
// run of vectors and every tap is a vector load at a fixed offset, with no test for the border.
// The Wp − OW positions past the end of each row are computed and dropped (7 % of the work for a
// 14-wide image, 15 positions a row).
//
// Register blocking: 4 output channels × 8 positions (2 vectors) in 8 accumulators; per tap two
// loads of the input and 4 splatted weights: 8 multiply-adds for 6 loads, 11 live v128. The tap
// loop stays a loop: with a 3×3 kernel's three taps written out (weights at immediate offsets)
// the forward ran 13–25 % slower per CPU-second in Node 20 (V8 schedules the loads early and spills).
// Blocked kernels (src/kernels/wasm/kernels.ts: `blocked`): after the table's arguments each
// takes the range of items it computes (images, or output channels for the weight gradient) and
// its scratch area; every item's arithmetic is the same whichever range it falls in, so a result
// does not depend on how many threads shared the job.

// a·b + c: one fused instruction in the relaxed build, mul then add in the standard one.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

// Zero floats after the last padded plane: the positions are rounded up to a multiple of 8 (at
// most 7 past the last output row), and their last tap reads at most kw + 5 floats beyond the
// planes; a row more is slack.
// @ts-ignore: decorator
@inline function padTail(Wp: i32, kw: i32): i32 {
  return Wp + kw + 16;
}

// @ts-ignore: decorator
@inline function align64(bytes: usize): usize {
  return (bytes + 63) & ~(<usize>63);
}

// dst[k] = src[k] for k < n floats, a vector at a time (rows are short: a call of memory.copy
// costs more than the copy).
function copyFloats(dst: usize, src: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(dst + <usize>k * 4, v128.load(src + <usize>k * 4));
  for (; k < n; k++) store<f32>(dst + <usize>k * 4, load<f32>(src + <usize>k * 4));
}

// dst[k] = 0 for k < n floats.
function zeroFloats(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(dst + <usize>k * 4, z);
  for (; k < n; k++) store<f32>(dst + <usize>k * 4, 0);
}

// Copies C planes of H × W at src into padded planes of H + 2·ph rows of W + pw floats at dst
// (pw zeros, then a row of the input; ph rows of zeros above and below), and zeroes
// padTail(W + pw, kw) floats after the last plane (read by the last vectors of a kw-wide kernel).
function padPlanes(src: usize, C: i32, H: i32, W: i32, ph: i32, pw: i32, kw: i32, dst: usize): void {
  const Wp = W + pw;
  const P = (H + 2 * ph) * Wp;
  zeroFloats(dst, C * P + padTail(Wp, kw));
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < H; r++) copyFloats(dst + <usize>(c * P + (r + ph) * Wp + pw) * 4, src + <usize>((c * H + r) * W) * 4, W);
  }
}

// out[q][p] = init_q + Σ_{k < K} wq[4k + q] · xp[p + tap_k] for q < 4 and p < 8·npair (rows of
// out R floats apart): K taps, tap_k the k-th float offset of `taps` (c·P + i·Wp + j for tap k =
// (c·kh + i)·kw + j), wq the 4 channels' weights of each tap side by side. One loop over every
// tap of every channel: per tap one offset, two loads of the input, 4 splatted weights at fixed
// offsets from one pointer, 8 multiply-adds (8 accumulators + 2 inputs + 1 weight = 11 live v128).
function correlate4(
  xp: usize, taps: usize, K: i32, wq: usize,
  init0: f32, init1: f32, init2: f32, init3: f32, out: usize, R: i32, npair: i32,
): void {
  const rb = <usize>R * 4;
  for (let v = 0; v < npair; v++) {
    const pOff = <usize>v * 32;
    const xv = xp + pOff;
    let a00 = f32x4.splat(init0), a01 = a00;
    let a10 = f32x4.splat(init1), a11 = a10;
    let a20 = f32x4.splat(init2), a21 = a20;
    let a30 = f32x4.splat(init3), a31 = a30;
    let tp = taps, wp = wq;
    for (let k = 0; k < K; k++) {
      const xr = xv + <usize>load<i32>(tp);
      const x0 = v128.load(xr);
      const x1 = v128.load(xr, 16);
      let s = v128.load32_splat(wp);
      a00 = madd(s, x0, a00);
      a01 = madd(s, x1, a01);
      s = v128.load32_splat(wp, 4);
      a10 = madd(s, x0, a10);
      a11 = madd(s, x1, a11);
      s = v128.load32_splat(wp, 8);
      a20 = madd(s, x0, a20);
      a21 = madd(s, x1, a21);
      s = v128.load32_splat(wp, 12);
      a30 = madd(s, x0, a30);
      a31 = madd(s, x1, a31);
      tp += 4;
      wp += 16;
    }
    const o = out + pOff;
    v128.store(o, a00); v128.store(o, a01, 16);
    v128.store(o + rb, a10); v128.store(o + rb, a11, 16);
    v128.store(o + 2 * rb, a20); v128.store(o + 2 * rb, a21, 16);
    v128.store(o + 3 * rb, a30); v128.store(o + 3 * rb, a31, 16);
  }
}

// The byte offsets of the taps of Cin padded planes (P floats each, rows Wp apart) to taps:
// (c·kh + i)·kw + j → 4·(c·P + i·Wp + j).
function tapOffsets(taps: usize, Cin: i32, P: i32, Wp: i32, kh: i32, kw: i32): void {
  let k = 0;
  for (let c = 0; c < Cin; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) store<i32>(taps + <usize>(k++) * 4, (c * P + i * Wp + j) * 4);
    }
  }
}

// The weights of output channels o + q (q < 4; q ≥ n repeats o + n − 1) side by side, per tap:
// wq[4k + q] = the float at byte w + 4·((o + q)·sO + c·sI) + tapByte(t) for tap k = c·T + t,
// tapByte(t) = t0 + t·dt (forward: 4t; the flipped kernel of the input gradient: 4(T − 1 − t)).
function weightsOf4(wq: usize, w: usize, o: i32, n: i32, sO: i32, sI: i32, Cin: i32, T: i32, t0: i32, dt: i32): void {
  for (let q = 0; q < 4; q++) {
    const wo = w + <usize>((o + min(q, n - 1)) * sO) * 4;
    let k = 0;
    for (let c = 0; c < Cin; c++) {
      const wc = wo + <usize>(c * sI) * 4;
      for (let t = 0; t < T; t++) store<f32>(wq + <usize>(4 * (k++) + q) * 4, load<f32>(wc + <usize>(t0 + t * dt)));
    }
  }
}

// Output channels o … o + n − 1 (n ≤ 4) of one image from its padded input planes xp: correlate4
// into `rows`, then the first OW of every Wp positions of each row to y[o + q] (OH × OW).
// Channel q < 4 past the last (n ≤ q) repeats channel o + n − 1 and is not stored.
function outputGroup(
  xp: usize, taps: usize, K: i32, Wp: i32, wq: usize, bias: usize,
  o: i32, n: i32, y: usize, OH: i32, OW: i32, rows: usize, R: i32, npair: i32,
): void {
  const q1 = o + min(1, n - 1), q2 = o + min(2, n - 1), q3 = o + min(3, n - 1);
  const b0: f32 = bias ? load<f32>(bias + <usize>o * 4) : 0;
  const b1: f32 = bias ? load<f32>(bias + <usize>q1 * 4) : 0;
  const b2: f32 = bias ? load<f32>(bias + <usize>q2 * 4) : 0;
  const b3: f32 = bias ? load<f32>(bias + <usize>q3 * 4) : 0;
  correlate4(xp, taps, K, wq, b0, b1, b2, b3, rows, R, npair);
  const plane = <usize>(OH * OW) * 4;
  for (let q = 0; q < n; q++) {
    const dst = y + <usize>(o + q) * plane;
    const src = rows + <usize>(q * R) * 4;
    for (let r = 0; r < OH; r++) copyFloats(dst + <usize>(r * OW) * 4, src + <usize>(r * Wp) * 4, OW);
  }
}

/** ref: conv2dForward. Images b0 … b1 − 1. */
export function conv2dForward(
  x: usize, w: usize, bias: usize, y: usize,
  B: i32, C: i32, H: i32, W: i32, OC: i32, kh: i32, kw: i32, ph: i32, pw: i32,
  b0: i32, b1: i32, scratch: usize,
): void {
  const Hp = H + 2 * ph, Wp = W + pw, P = Hp * Wp;
  const OH = Hp - kh + 1, OW = W + 2 * pw - kw + 1;
  const npair = (OH * Wp + 7) >> 3;
  const R = npair * 8;
  const T = kh * kw;
  const K = C * T;
  const xp = scratch;
  const rows = xp + align64(<usize>(C * P + padTail(Wp, kw)) * 4);
  const taps = rows + <usize>(4 * R) * 4;
  const wq = taps + align64(<usize>K * 4);
  tapOffsets(taps, C, P, Wp, kh, kw);
  for (let b = b0; b < b1; b++) {
    padPlanes(x + <usize>(b * C * H * W) * 4, C, H, W, ph, pw, kw, xp);
    const yb = y + <usize>(b * OC * OH * OW) * 4;
    for (let o = 0; o < OC; o += 4) {
      const n = min(4, OC - o);
      weightsOf4(wq, w, o, n, K, T, C, T, 0, 4);
      outputGroup(xp, taps, K, Wp, wq, bias, o, n, yb, OH, OW, rows, R, npair);
    }
  }
}

/**
 * ref: conv2dBackwardData. Images b0 … b1 − 1. The input gradient is the forward correlation of
 * dy, padded by kh − 1 − ph and kw − 1 − pw, with the kernel flipped and its channel axes swapped:
 * dx[c] = Σ_o Σ_{i,j} w[o, c, kh−1−i, kw−1−j] · dyp[o, iy + i, ix + j].
 */
export function conv2dBackwardData(
  dy: usize, w: usize, dx: usize,
  B: i32, C: i32, H: i32, W: i32, OC: i32, kh: i32, kw: i32, ph: i32, pw: i32,
  b0: i32, b1: i32, scratch: usize,
): void {
  const OH = H + 2 * ph - kh + 1, OW = W + 2 * pw - kw + 1;
  const qh = kh - 1 - ph, qw = kw - 1 - pw;
  const Wq = OW + qw, P = (OH + 2 * qh) * Wq;
  const npair = (H * Wq + 7) >> 3;
  const R = npair * 8;
  const T = kh * kw;
  const K = OC * T;
  const dp = scratch;
  const rows = dp + align64(<usize>(OC * P + padTail(Wq, kw)) * 4);
  const taps = rows + <usize>(4 * R) * 4;
  const wq = taps + align64(<usize>K * 4);
  tapOffsets(taps, OC, P, Wq, kh, kw);
  for (let b = b0; b < b1; b++) {
    padPlanes(dy + <usize>(b * OC * OH * OW) * 4, OC, OH, OW, qh, qw, kw, dp);
    const xb = dx + <usize>(b * C * H * W) * 4;
    for (let c = 0; c < C; c += 4) {
      const n = min(4, C - c);
      // output channel c reads w[o, c, ·, ·] flipped: T floats apart per c, C·T per input channel o
      weightsOf4(wq, w, c, n, T, C * T, OC, T, (T - 1) * 4, -4);
      outputGroup(dp, taps, K, Wq, wq, 0, c, n, xb, H, W, rows, R, npair);
    }
  }
}

// Horizontal sum of a vector: (l0 + l1) + (l2 + l3).
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// acc[q·CT + k] += (lane by lane) Σ_v d_q[v] · x[v + off] over nv vectors, for q < 4 and the taps
// (k, off) (and (k + 1, off1) when two): the 4 channels' vectors interleaved in dz (vector v of
// channel q at dz + (4v + q)·16 bytes), x at byte xp + 4·off, acc a vector per (q, tap).
function filterTaps(dz: usize, xp: usize, off: i32, off1: i32, two: bool, nv: i32, acc: usize, CT: i32, k: i32): void {
  const z = f32x4.splat(0);
  let a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
  let xa = xp + <usize>off * 4;
  let dp = dz;
  const end = dz + <usize>nv * 64;
  if (two) {
    const dlt = <usize>(off1 - off) * 4;
    for (; dp < end; dp += 64) {
      const d0 = v128.load(dp), d1 = v128.load(dp, 16), d2 = v128.load(dp, 32), d3 = v128.load(dp, 48);
      let s = v128.load(xa);
      a0 = madd(d0, s, a0);
      a1 = madd(d1, s, a1);
      a2 = madd(d2, s, a2);
      a3 = madd(d3, s, a3);
      s = v128.load(xa + dlt);
      b0 = madd(d0, s, b0);
      b1 = madd(d1, s, b1);
      b2 = madd(d2, s, b2);
      b3 = madd(d3, s, b3);
      xa += 16;
    }
  } else {
    for (; dp < end; dp += 64) {
      const s = v128.load(xa);
      a0 = madd(v128.load(dp), s, a0);
      a1 = madd(v128.load(dp, 16), s, a1);
      a2 = madd(v128.load(dp, 32), s, a2);
      a3 = madd(v128.load(dp, 48), s, a3);
      xa += 16;
    }
  }
  const qb = <usize>CT * 16;
  let p = acc + <usize>k * 16;
  v128.store(p, f32x4.add(v128.load(p), a0));
  v128.store(p + qb, f32x4.add(v128.load(p + qb), a1));
  v128.store(p + 2 * qb, f32x4.add(v128.load(p + 2 * qb), a2));
  v128.store(p + 3 * qb, f32x4.add(v128.load(p + 3 * qb), a3));
  if (two) {
    p += 16;
    v128.store(p, f32x4.add(v128.load(p), b0));
    v128.store(p + qb, f32x4.add(v128.load(p + qb), b1));
    v128.store(p + 2 * qb, f32x4.add(v128.load(p + 2 * qb), b2));
    v128.store(p + 3 * qb, f32x4.add(v128.load(p + 3 * qb), b3));
  }
}

/**
 * ref: conv2dBackwardFilter. Output channels o0 … o1 − 1, 4 at a time, each over the whole
 * batch: per image, the input's padded planes and the 4 channels of dy laid out like the output
 * positions and interleaved by vector (dz[v][q] = dy[b, o + q] at the 4 positions 4v … 4v + 3,
 * position oy·Wp + ox holding dy[…, oy, ox], 0 for ox ≥ OW), then for every pair of taps k of
 * every input channel (k = c·T + i·kw + j, at offset c·P + i·Wp + j) the 8 dot products
 * Σ_p dz[q][p] · xp[p + offset], kept as 4 lane sums each (lane l sums the positions p ≡ l mod 4,
 * over the images in order, in float32), and at the end dw = beta·dw + the sum of the 4 lanes.
 */
export function conv2dBackwardFilter(
  x: usize, dy: usize, dw: usize,
  B: i32, C: i32, H: i32, W: i32, OC: i32, kh: i32, kw: i32, ph: i32, pw: i32, beta: i32,
  o0: i32, o1: i32, scratch: usize,
): void {
  const Hp = H + 2 * ph, Wp = W + pw, P = Hp * Wp;
  const OH = Hp - kh + 1, OW = W + 2 * pw - kw + 1;
  const nv = ((OH * Wp + 7) >> 3) * 2;
  const T = kh * kw, CT = C * T;
  const xp = scratch;
  const dz = xp + align64(<usize>(C * P + padTail(Wp, kw)) * 4);
  const acc = dz + <usize>(16 * nv) * 4;
  const taps = acc + <usize>(16 * CT) * 4;
  const rows = taps + align64(<usize>CT * 4);
  const R = 4 * nv;
  tapOffsets(taps, C, P, Wp, kh, kw);
  for (let o = o0; o < o1; o += 4) {
    const n = min(4, o1 - o);
    zeroFloats(acc, 16 * CT);
    for (let b = 0; b < B; b++) {
      padPlanes(x + <usize>(b * C * H * W) * 4, C, H, W, ph, pw, kw, xp);
      // the 4 channels as rows of R positions (zeros past OW), then interleaved by vector into dz
      zeroFloats(rows, 4 * R);
      for (let q = 0; q < 4; q++) {
        const src = dy + <usize>((b * OC + o + min(q, n - 1)) * OH * OW) * 4;
        const dst = rows + <usize>(q * R) * 4;
        for (let r = 0; r < OH; r++) copyFloats(dst + <usize>(r * Wp) * 4, src + <usize>(r * OW) * 4, OW);
      }
      const rb = <usize>R * 4;
      for (let v = 0; v < nv; v++) {
        const s = rows + <usize>v * 16, d = dz + <usize>v * 64;
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s + rb), 16);
        v128.store(d, v128.load(s + 2 * rb), 32);
        v128.store(d, v128.load(s + 3 * rb), 48);
      }
      let k = 0;
      for (; k + 2 <= CT; k += 2) {
        filterTaps(dz, xp, load<i32>(taps + <usize>k * 4) >> 2, load<i32>(taps + <usize>(k + 1) * 4) >> 2, true, nv, acc, CT, k);
      }
      if (k < CT) filterTaps(dz, xp, load<i32>(taps + <usize>k * 4) >> 2, 0, false, nv, acc, CT, k);
    }
    for (let q = 0; q < n; q++) {
      const d = dw + <usize>((o + q) * CT) * 4;
      const a = acc + <usize>(q * CT) * 16;
      for (let k = 0; k < CT; k++) {
        const s = hsum(v128.load(a + <usize>k * 16));
        const p = d + <usize>k * 4;
        store<f32>(p, beta == 0 ? s : load<f32>(p) + s);
      }
    }
  }
}
