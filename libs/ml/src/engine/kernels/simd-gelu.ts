import { Code, FunctionDef, I32, op, V128, overVectors, addressAt } from './wasm-asm';
import { kernelModule } from './kernel-module';
import { exp4 } from './simd-softmax';

// GELU in its sigmoid form, y = x·σ(1.702x), and its gradient as SIMD code on the backend's
// memory, for element counts that are a multiple of 4 (fused-gelu.ts runs JS loops otherwise).
//   geluForward(x, y, n)
//   geluBackward(dy, x, dx, n):  dx = dy·(σ + 1.702·x·σ·(1 − σ))

export const GELU_SLOPE = 1.702;

/** σ(1.702·x) of local x into local s; the exponent is capped at 80 so σ stays a normal float. */
function sigmoid4(x: number, s: number, n: number, r: number, keep: number): Code {
  return [
    ...op.get(x), ...op.f32x4Const(-GELU_SLOPE), ...op.f32x4Mul, ...op.f32x4Const(80), ...op.f32x4Pmin, ...op.set(s),
    ...exp4(s, n, r, keep), ...op.set(s),
    ...op.f32x4Const(1), ...op.f32x4Const(1), ...op.get(s), ...op.f32x4Add, ...op.f32x4Div, ...op.set(s),
  ];
}


const F = { x: 0, y: 1, n: 2, i: 3, bytes: 4, v: 5, s: 6, e: 7, r: 8, keep: 9 };
const geluForward: FunctionDef = {
  name: 'geluForward',
  params: 3,
  locals: [I32, I32, V128, V128, V128, V128, V128],
  body: [
    op.get(F.n), op.i32(2), op.shl, op.set(F.bytes),
    overVectors(F.i, F.bytes,
      addressAt(F.x, F.i), op.v128Load(), op.set(F.v),
      sigmoid4(F.v, F.s, F.e, F.r, F.keep),
      addressAt(F.y, F.i), op.get(F.v), op.get(F.s), op.f32x4Mul, op.v128Store(),
    ),
  ],
};

const B = { dy: 0, x: 1, dx: 2, n: 3, i: 4, bytes: 5, v: 6, s: 7, e: 8, r: 9, keep: 10 };
const geluBackward: FunctionDef = {
  name: 'geluBackward',
  params: 4,
  locals: [I32, I32, V128, V128, V128, V128, V128],
  body: [
    op.get(B.n), op.i32(2), op.shl, op.set(B.bytes),
    overVectors(B.i, B.bytes,
      addressAt(B.x, B.i), op.v128Load(), op.set(B.v),
      sigmoid4(B.v, B.s, B.e, B.r, B.keep),
      addressAt(B.dx, B.i),
      // σ + 1.702·x·σ·(1 − σ)
      op.get(B.s),
      op.get(B.v), op.f32x4Const(GELU_SLOPE), op.f32x4Mul, op.get(B.s), op.f32x4Mul, op.f32x4Const(1), op.get(B.s), op.f32x4Sub, op.f32x4Mul,
      op.f32x4Add,
      addressAt(B.dy, B.i), op.v128Load(), op.f32x4Mul,
      op.v128Store(),
    ),
  ],
};

export interface SimdGelu {
  geluForward(x: number, y: number, n: number): void;
  geluBackward(dy: number, x: number, dx: number, n: number): void;
}

export const simdGeluFor = kernelModule<SimdGelu>([geluForward, geluBackward]);
