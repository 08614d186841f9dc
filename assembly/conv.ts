// Direct convolutions with stride 1 (ref: conv2dForward, conv2dBackwardData, conv2dBackwardFilter
// in src/kernels/ref/conv.ts), re-exported by kernels.ts.
//
// One image at a time, its C input planes are copied with their zero padding into the thread's
// scratch: planes of Hp × Wp (Hp = H + 2·ph, Wp = W + 2·pw), one after the other, P = Hp·Wp floats
// each, with zeros after the last. In that flat layout the output pixel (oy, ox) sits at
// p = oy·Wp + ox and its tap (i, j) of channel c at c·P + p + i·Wp + j, so one output row of Wp
// positions is a run of vectors and every tap is a vector load at a fixed offset, with no test for
// the border. The Wp − OW positions past the end of each row are computed and dropped (12 % of
// the work for a 14-wide image padded to 16).
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

// Copies C planes of H × W at src into padded planes of (H + 2·ph) × (W + 2·pw) at dst, zeros
// around, and zeroes one row and 16 floats after the last plane (read by the last vectors).
function padPlanes(src: usize, C: i32, H: i32, W: i32, ph: i32, pw: i32, dst: usize): void {
  const Wp = W + 2 * pw;
  const P = (H + 2 * ph) * Wp;
  zeroFloats(dst, C * P + Wp + 16);
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < H; r++) copyFloats(dst + <usize>(c * P + (r + ph) * Wp + pw) * 4, src + <usize>((c * H + r) * W) * 4, W);
  }
}

// out[q][p] = init_q + Σ_{c < Cin, i < kh, j < kw} wt(q, c, i, j) · xp[c·P + p + i·Wp + j]
// for q < 4 and p < 8·npair (rows of out R floats apart), where wt(q, c, i, j) is the float at
// byte wq + 4·(c·sI) + tapByte(i·kw + j), tapByte(t) = t0 + t·dt (forward: 0 + 4t; flipped
// kernel for the input gradient: 4(T − 1) − 4t).
function correlate4(
  xp: usize, Cin: i32, P: i32, Wp: i32, kh: i32, kw: i32,
  w0: usize, w1: usize, w2: usize, w3: usize, sI: i32, t0: i32, dt: i32,
  init0: f32, init1: f32, init2: f32, init3: f32, out: usize, R: i32, npair: i32,
): void {
  const rb = <usize>R * 4;
  for (let v = 0; v < npair; v++) {
    const pOff = <usize>v * 32;
    let a00 = f32x4.splat(init0), a01 = a00;
    let a10 = f32x4.splat(init1), a11 = a10;
    let a20 = f32x4.splat(init2), a21 = a20;
    let a30 = f32x4.splat(init3), a31 = a30;
    for (let c = 0; c < Cin; c++) {
      const xc = xp + <usize>(c * P) * 4 + pOff;
      const wc = c * sI * 4 + t0;
      for (let i = 0; i < kh; i++) {
        const xr = xc + <usize>(i * Wp) * 4;
        const wr = wc + i * kw * dt;
        for (let j = 0; j < kw; j++) {
          const x0 = v128.load(xr + <usize>j * 4);
          const x1 = v128.load(xr + <usize>j * 4, 16);
          const wt = <usize>(wr + j * dt);
          let s = v128.load32_splat(w0 + wt);
          a00 = madd(s, x0, a00);
          a01 = madd(s, x1, a01);
          s = v128.load32_splat(w1 + wt);
          a10 = madd(s, x0, a10);
          a11 = madd(s, x1, a11);
          s = v128.load32_splat(w2 + wt);
          a20 = madd(s, x0, a20);
          a21 = madd(s, x1, a21);
          s = v128.load32_splat(w3 + wt);
          a30 = madd(s, x0, a30);
          a31 = madd(s, x1, a31);
        }
      }
    }
    const o = out + pOff;
    v128.store(o, a00); v128.store(o, a01, 16);
    v128.store(o + rb, a10); v128.store(o + rb, a11, 16);
    v128.store(o + 2 * rb, a20); v128.store(o + 2 * rb, a21, 16);
    v128.store(o + 3 * rb, a30); v128.store(o + 3 * rb, a31, 16);
  }
}

// Output channels o … o + n − 1 (n ≤ 4) of one image from its padded input planes xp: correlate4
// into `rows`, then the first OW of every Wp positions of each row to y[o + q] (OH × OW).
// Channel q < 4 past the last (n ≤ q) repeats channel o + n − 1 and is not stored.
function outputGroup(
  xp: usize, Cin: i32, P: i32, Wp: i32, kh: i32, kw: i32,
  w: usize, sO: i32, sI: i32, t0: i32, dt: i32, bias: usize,
  o: i32, n: i32, y: usize, OH: i32, OW: i32, rows: usize, R: i32, npair: i32,
): void {
  const q1 = o + min(1, n - 1), q2 = o + min(2, n - 1), q3 = o + min(3, n - 1);
  const wb = <usize>sO * 4;
  const b0: f32 = bias ? load<f32>(bias + <usize>o * 4) : 0;
  const b1: f32 = bias ? load<f32>(bias + <usize>q1 * 4) : 0;
  const b2: f32 = bias ? load<f32>(bias + <usize>q2 * 4) : 0;
  const b3: f32 = bias ? load<f32>(bias + <usize>q3 * 4) : 0;
  correlate4(
    xp, Cin, P, Wp, kh, kw,
    w + <usize>o * wb, w + <usize>q1 * wb, w + <usize>q2 * wb, w + <usize>q3 * wb, sI, t0, dt,
    b0, b1, b2, b3, rows, R, npair,
  );
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
  const Hp = H + 2 * ph, Wp = W + 2 * pw, P = Hp * Wp;
  const OH = Hp - kh + 1, OW = Wp - kw + 1;
  const npair = (OH * Wp + 7) >> 3;
  const R = npair * 8;
  const T = kh * kw;
  const xp = scratch;
  const rows = xp + align64(<usize>(C * P + Wp + 16) * 4);
  for (let b = b0; b < b1; b++) {
    padPlanes(x + <usize>(b * C * H * W) * 4, C, H, W, ph, pw, xp);
    const yb = y + <usize>(b * OC * OH * OW) * 4;
    for (let o = 0; o < OC; o += 4) {
      outputGroup(xp, C, P, Wp, kh, kw, w, C * T, T, 0, 4, bias, o, min(4, OC - o), yb, OH, OW, rows, R, npair);
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
  const Wq = OW + 2 * qw, P = (OH + 2 * qh) * Wq;
  const npair = (H * Wq + 7) >> 3;
  const R = npair * 8;
  const T = kh * kw;
  const dp = scratch;
  const rows = dp + align64(<usize>(OC * P + Wq + 16) * 4);
  for (let b = b0; b < b1; b++) {
    padPlanes(dy + <usize>(b * OC * OH * OW) * 4, OC, OH, OW, qh, qw, dp);
    const xb = dx + <usize>(b * C * H * W) * 4;
    for (let c = 0; c < C; c += 4) {
      // output channel c reads w[o, c, ·, ·]: T floats apart per c, C·T per input channel o
      outputGroup(dp, OC, P, Wq, kh, kw, w, T, C * T, (T - 1) * 4, -4, 0, c, min(4, C - c), xb, H, W, rows, R, npair);
    }
  }
}

// Horizontal sum of a vector: (l0 + l1) + (l2 + l3).
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// acc[q·CT + tap] += Σ_p d_q[p] · x[p + off] over nv vectors, for q < 4 and the taps (t, off)
// (and (t + 1, off1) when two): d_q = dz + q·R floats, x = xc.
function filterTaps(dz: usize, R: i32, xc: usize, off: i32, off1: i32, two: bool, nv: i32, acc: usize, CT: i32, t: i32): void {
  const rb = <usize>R * 4;
  const z = f32x4.splat(0);
  let a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
  const xa = xc + <usize>off * 4, xb = xc + <usize>off1 * 4;
  if (two) {
    for (let v = 0; v < nv; v++) {
      const o = <usize>v * 16;
      const d0 = v128.load(dz + o), d1 = v128.load(dz + rb + o), d2 = v128.load(dz + 2 * rb + o), d3 = v128.load(dz + 3 * rb + o);
      let s = v128.load(xa + o);
      a0 = madd(d0, s, a0);
      a1 = madd(d1, s, a1);
      a2 = madd(d2, s, a2);
      a3 = madd(d3, s, a3);
      s = v128.load(xb + o);
      b0 = madd(d0, s, b0);
      b1 = madd(d1, s, b1);
      b2 = madd(d2, s, b2);
      b3 = madd(d3, s, b3);
    }
  } else {
    for (let v = 0; v < nv; v++) {
      const o = <usize>v * 16;
      const s = v128.load(xa + o);
      a0 = madd(v128.load(dz + o), s, a0);
      a1 = madd(v128.load(dz + rb + o), s, a1);
      a2 = madd(v128.load(dz + 2 * rb + o), s, a2);
      a3 = madd(v128.load(dz + 3 * rb + o), s, a3);
    }
  }
  const qb = <usize>CT * 4;
  let p = acc + <usize>t * 4;
  store<f32>(p, load<f32>(p) + hsum(a0));
  store<f32>(p + qb, load<f32>(p + qb) + hsum(a1));
  store<f32>(p + 2 * qb, load<f32>(p + 2 * qb) + hsum(a2));
  store<f32>(p + 3 * qb, load<f32>(p + 3 * qb) + hsum(a3));
  if (two) {
    p += 4;
    store<f32>(p, load<f32>(p) + hsum(b0));
    store<f32>(p + qb, load<f32>(p + qb) + hsum(b1));
    store<f32>(p + 2 * qb, load<f32>(p + 2 * qb) + hsum(b2));
    store<f32>(p + 3 * qb, load<f32>(p + 3 * qb) + hsum(b3));
  }
}

/**
 * ref: conv2dBackwardFilter. Output channels o0 … o1 − 1, 4 at a time, each over the whole
 * batch: per image, the input's padded planes and the 4 channels of dy laid out like the output
 * positions (dz[q][oy·Wp + ox] = dy[b, o + q, oy, ox], 0 for ox ≥ OW), then for every input
 * channel and pair of taps the 8 dot products Σ_p dz[q][p] · xp[c·P + p + i·Wp + j], summed over
 * the images in order in float32, and dw = beta·dw + that sum.
 */
export function conv2dBackwardFilter(
  x: usize, dy: usize, dw: usize,
  B: i32, C: i32, H: i32, W: i32, OC: i32, kh: i32, kw: i32, ph: i32, pw: i32, beta: i32,
  o0: i32, o1: i32, scratch: usize,
): void {
  const Hp = H + 2 * ph, Wp = W + 2 * pw, P = Hp * Wp;
  const OH = Hp - kh + 1, OW = Wp - kw + 1;
  const nv = ((OH * Wp + 7) >> 3) * 2;
  const R = nv * 4;
  const T = kh * kw, CT = C * T;
  const xp = scratch;
  const dz = xp + align64(<usize>(C * P + Wp + 16) * 4);
  const acc = dz + <usize>(4 * R) * 4;
  for (let o = o0; o < o1; o += 4) {
    const n = min(4, o1 - o);
    zeroFloats(acc, 4 * CT);
    for (let b = 0; b < B; b++) {
      padPlanes(x + <usize>(b * C * H * W) * 4, C, H, W, ph, pw, xp);
      zeroFloats(dz, 4 * R);
      for (let q = 0; q < 4; q++) {
        const src = dy + <usize>((b * OC + o + min(q, n - 1)) * OH * OW) * 4;
        const dst = dz + <usize>(q * R) * 4;
        for (let r = 0; r < OH; r++) copyFloats(dst + <usize>(r * Wp) * 4, src + <usize>(r * OW) * 4, OW);
      }
      for (let c = 0; c < C; c++) {
        const xc = xp + <usize>(c * P) * 4;
        let t = 0;
        for (; t + 2 <= T; t += 2) {
          const off = (t / kw) * Wp + t % kw, off1 = ((t + 1) / kw) * Wp + (t + 1) % kw;
          filterTaps(dz, R, xc, off, off1, true, nv, acc, CT, c * T + t);
        }
        if (t < T) filterTaps(dz, R, xc, (t / kw) * Wp + t % kw, 0, false, nv, acc, CT, c * T + t);
      }
    }
    for (let q = 0; q < n; q++) {
      const d = dw + <usize>((o + q) * CT) * 4;
      const a = acc + <usize>(q * CT) * 4;
      for (let k = 0; k < CT; k++) {
        const s = load<f32>(a + <usize>k * 4);
        const p = d + <usize>k * 4;
        store<f32>(p, beta == 0 ? s : load<f32>(p) + s);
      }
    }
  }
}
