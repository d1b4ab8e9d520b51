import { Code, F32, FunctionDef, I32, op, V128, overVectors, addressAt } from './wasm-asm';
import { kernelModule } from './kernel-module';
import { exp4 } from './simd-softmax';

// y = x·σ(k·x) and its gradient as SIMD code on the backend's memory, for element counts that are
// a multiple of 4 (fused-gelu.ts runs JS loops otherwise): GELU in its sigmoid form (k = 1.702)
// and SiLU (k = 1).
//   geluForward(x, y, n, k)
//   geluBackward(dy, x, dx, n, k):  dx = dy·(σ + k·x·σ·(1 − σ))

export const GELU_SLOPE = 1.702;

/** σ(k·x) of local x into local s (−k splatted in local negK); the exponent is capped at 80 so σ stays a normal float. */
function sigmoid4(x: number, s: number, n: number, r: number, keep: number, negK: number): Code {
  return [
    ...op.get(x), ...op.get(negK), ...op.f32x4Mul, ...op.f32x4Const(80), ...op.f32x4Pmin, ...op.set(s),
    ...exp4(s, n, r, keep), ...op.set(s),
    ...op.f32x4Const(1), ...op.f32x4Const(1), ...op.get(s), ...op.f32x4Add, ...op.f32x4Div, ...op.set(s),
  ];
}


/** Sets local negK to −k on every lane. */
const splatNegated = (k: number, negK: number): Code => [...op.f32(0), ...op.get(k), ...op.f32Sub, ...op.f32x4Splat, ...op.set(negK)];

const F = { x: 0, y: 1, n: 2, k: 3, i: 4, bytes: 5, v: 6, s: 7, e: 8, r: 9, keep: 10, negK: 11 };
const geluForward: FunctionDef = {
  name: 'geluForward',
  params: [I32, I32, I32, F32],
  locals: [I32, I32, V128, V128, V128, V128, V128, V128],
  body: [
    op.get(F.n), op.i32(2), op.shl, op.set(F.bytes),
    splatNegated(F.k, F.negK),
    overVectors(F.i, F.bytes,
      addressAt(F.x, F.i), op.v128Load(), op.set(F.v),
      sigmoid4(F.v, F.s, F.e, F.r, F.keep, F.negK),
      addressAt(F.y, F.i), op.get(F.v), op.get(F.s), op.f32x4Mul, op.v128Store(),
    ),
  ],
};

const B = { dy: 0, x: 1, dx: 2, n: 3, k: 4, i: 5, bytes: 6, v: 7, s: 8, e: 9, r: 10, keep: 11, negK: 12, kv: 13 };
const geluBackward: FunctionDef = {
  name: 'geluBackward',
  params: [I32, I32, I32, I32, F32],
  locals: [I32, I32, V128, V128, V128, V128, V128, V128, V128],
  body: [
    op.get(B.n), op.i32(2), op.shl, op.set(B.bytes),
    splatNegated(B.k, B.negK),
    op.get(B.k), op.f32x4Splat, op.set(B.kv),
    overVectors(B.i, B.bytes,
      addressAt(B.x, B.i), op.v128Load(), op.set(B.v),
      sigmoid4(B.v, B.s, B.e, B.r, B.keep, B.negK),
      addressAt(B.dx, B.i),
      // σ + k·x·σ·(1 − σ)
      op.get(B.s),
      op.get(B.v), op.get(B.kv), op.f32x4Mul, op.get(B.s), op.f32x4Mul, op.f32x4Const(1), op.get(B.s), op.f32x4Sub, op.f32x4Mul,
      op.f32x4Add,
      addressAt(B.dy, B.i), op.v128Load(), op.f32x4Mul,
      op.v128Store(),
    ),
  ],
};

export interface SimdGelu {
  geluForward(x: number, y: number, n: number, k: number): void;
  geluBackward(dy: number, x: number, dx: number, n: number, k: number): void;
}

export const simdGeluFor = kernelModule<SimdGelu>([geluForward, geluBackward]);
