// Four float32 lanes as two float64x2 halves and back, for kernels that compute in float64 per
// element (the optimisers, the fused SGD step of the sparse first layer): every lane then rounds
// exactly as the reference's scalar float64 loop, and once more when stored as float32.

/** Lanes 0 and 1 of a f32x4, widened. */
// @ts-ignore: decorator
@inline export function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
/** Lanes 2 and 3 of a f32x4, widened. */
// @ts-ignore: decorator
@inline export function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}
/** Two f64x2 halves back into one f32x4 (each lane rounded to nearest, as a Float32Array store). */
// @ts-ignore: decorator
@inline export function narrow(l: v128, h: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(l), f32x4.demote_f64x2_zero(h), 0, 1, 4, 5);
}
