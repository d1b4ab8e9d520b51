import { Code, countUp, F32, FunctionDef, I32, op, V128, overVectors, addressAt } from './wasm-asm';
import { kernelModule } from './kernel-module';

// Attention's row softmax and its gradient as SIMD code on the backend's memory, in place, for
// rows whose length is a multiple of 4 (fused-attention.ts runs JS loops for the others).
//   softmaxRows(p, bias, rows, cols, rowsPerBias, scale):
//     x = p·scale + bias[r / rowsPerBias];  p = exp(x − max x) / Σ exp(x − max x)
//   softmaxGradRows(p, g, rows, cols, scale):  g = p ⊙ (g − Σ g⊙p) · scale

const EXP_MIN = -87;
/** 1.5·2^23: float addition rounds to an integer and keeps it in the low bits. */
const ROUNDER = 12582912;

/**
 * exp on four lanes (Cephes expf: 2^n · polynomial, relative error ~2e-7). Inputs at or below −87
 * give exactly 0: below that exp is subnormal, and subnormal operands make every later product
 * with them (the attention products, forward and backward) many times slower.
 */
export function exp4(x: number, n: number, r: number, keep: number): Code {
  const poly = [1.987569150e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  const horner: Code[] = [op.get(r), op.f32x4Const(poly[0]), op.f32x4Mul];
  for (const c of poly.slice(1, -1)) horner.push(op.f32x4Const(c), op.f32x4Add, op.get(r), op.f32x4Mul);
  horner.push(op.f32x4Const(poly[poly.length - 1]), op.f32x4Add); // then ·r² + r + 1
  return [
    ...op.get(x), ...op.f32x4Const(EXP_MIN), ...op.f32x4Gt, ...op.set(keep),
    ...op.get(x), ...op.f32x4Const(EXP_MIN), ...op.f32x4Pmax, ...op.set(x),
    // n = round(x·log2 e): adding 1.5·2^23 leaves the rounded integer in the low mantissa bits
    ...op.get(x), ...op.f32x4Const(Math.LOG2E), ...op.f32x4Mul, ...op.f32x4Const(ROUNDER), ...op.f32x4Add, ...op.set(n),
    // r = x − n·ln2 in two parts, so r keeps its precision
    ...op.get(x),
    ...op.get(n), ...op.f32x4Const(ROUNDER), ...op.f32x4Sub, ...op.tee(r), ...op.f32x4Const(0.693359375), ...op.f32x4Mul, ...op.f32x4Sub,
    ...op.get(r), ...op.f32x4Const(-2.12194440e-4), ...op.f32x4Mul, ...op.f32x4Sub, ...op.set(r),
    ...horner.flat(), ...op.get(r), ...op.get(r), ...op.f32x4Mul, ...op.f32x4Mul, ...op.get(r), ...op.f32x4Add, ...op.f32x4Const(1), ...op.f32x4Add,
    // × 2^n: n's bits shifted into the exponent field (the rounder's own bits shift out)
    ...op.get(n), ...op.i32(23), ...op.i32x4Shl, ...op.i32x4Add,
    ...op.get(keep), ...op.v128And,
  ];
}

export const lanes = (v: number, combine: Code): Code => [
  ...op.get(v), ...op.f32x4ExtractLane(0), ...op.get(v), ...op.f32x4ExtractLane(1), ...combine,
  ...op.get(v), ...op.f32x4ExtractLane(2), ...combine, ...op.get(v), ...op.f32x4ExtractLane(3), ...combine,
];


/** for (r = 0; r < rows; r++) body */
const overRows = (r: number, rows: number, body: Code[]): Code => countUp(r, rows, 1, ...body);

const S = { p: 0, bias: 1, rows: 2, cols: 3, perBias: 4, scale: 5, r: 6, d: 7, bytes: 8, pr: 9, pb: 10, x: 11, mx: 12, sum: 13, n: 14, rr: 15, scalev: 16, keep: 17 };
const softmaxRows: FunctionDef = {
  name: 'softmaxRows',
  params: [I32, I32, I32, I32, I32, F32],
  locals: [I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128],
  body: [
    op.get(S.cols), op.i32(2), op.shl, op.set(S.bytes),
    op.get(S.scale), op.f32x4Splat, op.set(S.scalev),
    overRows(S.r, S.rows, [
      op.get(S.p), op.get(S.r), op.get(S.bytes), op.mul, op.add, op.set(S.pr),
      op.get(S.bias), op.get(S.r), op.get(S.perBias), op.divU, op.get(S.bytes), op.mul, op.add, op.set(S.pb),
      op.f32x4Const(-3.4e38), op.set(S.mx),
      overVectors(S.d, S.bytes,
        addressAt(S.pr, S.d), op.v128Load(), op.get(S.scalev), op.f32x4Mul, addressAt(S.pb, S.d), op.v128Load(), op.f32x4Add, op.set(S.x),
        addressAt(S.pr, S.d), op.get(S.x), op.v128Store(),
        op.get(S.mx), op.get(S.x), op.f32x4Pmax, op.set(S.mx),
      ),
      lanes(S.mx, op.f32Max), op.f32x4Splat, op.set(S.mx),
      op.f32x4Const(0), op.set(S.sum),
      overVectors(S.d, S.bytes,
        addressAt(S.pr, S.d), op.v128Load(), op.get(S.mx), op.f32x4Sub, op.set(S.x),
        exp4(S.x, S.n, S.rr, S.keep), op.set(S.x),
        addressAt(S.pr, S.d), op.get(S.x), op.v128Store(),
        op.get(S.sum), op.get(S.x), op.f32x4Add, op.set(S.sum),
      ),
      op.f32(1), lanes(S.sum, op.f32Add), op.f32Div, op.f32x4Splat, op.set(S.sum),
      overVectors(S.d, S.bytes, addressAt(S.pr, S.d), addressAt(S.pr, S.d), op.v128Load(), op.get(S.sum), op.f32x4Mul, op.v128Store()),
    ]),
  ],
};

const G = { p: 0, g: 1, rows: 2, cols: 3, scale: 4, r: 5, d: 6, bytes: 7, pp: 8, pg: 9, dot: 10, scalev: 11 };
const softmaxGradRows: FunctionDef = {
  name: 'softmaxGradRows',
  params: [I32, I32, I32, I32, F32],
  locals: [I32, I32, I32, I32, I32, V128, V128],
  body: [
    op.get(G.cols), op.i32(2), op.shl, op.set(G.bytes),
    op.get(G.scale), op.f32x4Splat, op.set(G.scalev),
    overRows(G.r, G.rows, [
      op.get(G.p), op.get(G.r), op.get(G.bytes), op.mul, op.add, op.set(G.pp),
      op.get(G.g), op.get(G.r), op.get(G.bytes), op.mul, op.add, op.set(G.pg),
      op.f32x4Const(0), op.set(G.dot),
      overVectors(G.d, G.bytes, op.get(G.dot), addressAt(G.pg, G.d), op.v128Load(), addressAt(G.pp, G.d), op.v128Load(), op.f32x4Mul, op.f32x4Add, op.set(G.dot)),
      lanes(G.dot, op.f32Add), op.f32x4Splat, op.set(G.dot),
      overVectors(G.d, G.bytes,
        addressAt(G.pg, G.d),
        addressAt(G.pg, G.d), op.v128Load(), op.get(G.dot), op.f32x4Sub, addressAt(G.pp, G.d), op.v128Load(), op.f32x4Mul, op.get(G.scalev), op.f32x4Mul,
        op.v128Store(),
      ),
    ]),
  ],
};

export interface SimdSoftmax {
  softmaxRows(p: number, bias: number, rows: number, cols: number, rowsPerBias: number, scale: number): void;
  softmaxGradRows(p: number, g: number, rows: number, cols: number, scale: number): void;
}

export const simdSoftmaxFor = kernelModule<SimdSoftmax>([softmaxRows, softmaxGradRows]);
