import { Code, F32, FunctionDef, I32, op, V128, whileBelow, addressAt } from './wasm-asm';
import { kernelModule } from './kernel-module';

// The fused optimizer kernels' arithmetic (fused-optimizer.ts) as SIMD code on the wasm heap.
//   sumSquares(x, n) -> Σ x²
//   adam(p, g, m, v, pOut, mOut, vOut, n, scale, beta1, beta2, lrOverC1, invC2, eps, keep):
//     g' = g·scale; m' = β1·m + (1−β1)·g'; v' = β2·v + (1−β2)·g'²; p' = (p − lr/c1 · m' / (√(v'/c2) + ε))·keep
//   ema(e, s, out, n, decay): out = e·decay + s·(1 − decay)
// Four lanes at a time, then the remaining elements one by one.

/** for (i = 0; i < limit; i += step) body, with i a byte offset. */
const bytesLoop = (i: number, limit: number, step: number, ...body: Code[]): Code => whileBelow(i, limit, step, ...body);
const splat = (local: number, target: number): Code => [...op.get(local), ...op.f32x4Splat, ...op.set(target)];
const oneMinus = (local: number): Code => [...op.f32(1), ...op.get(local), ...op.f32Sub];

const S = { x: 0, n: 1, i: 2, vecEnd: 3, end: 4, acc: 5, t: 6, s: 7 };
const sumSquares: FunctionDef = {
  name: 'sumSquares',
  params: [I32, I32],
  results: [F32],
  locals: [I32, I32, I32, V128, V128, F32],
  body: [
    op.get(S.n), op.i32(-4), [0x71], op.i32(2), op.shl, op.set(S.vecEnd),
    op.get(S.n), op.i32(2), op.shl, op.set(S.end),
    op.f32(0), op.f32x4Splat, op.set(S.acc),
    op.i32(0), op.set(S.i),
    bytesLoop(S.i, S.vecEnd, 16, addressAt(S.x, S.i), op.v128Load(), op.set(S.t), op.get(S.acc), op.get(S.t), op.get(S.t), op.f32x4Mul, op.f32x4Add, op.set(S.acc)),
    op.get(S.acc), op.f32x4ExtractLane(0), op.get(S.acc), op.f32x4ExtractLane(1), op.f32Add, op.get(S.acc), op.f32x4ExtractLane(2), op.f32Add, op.get(S.acc), op.f32x4ExtractLane(3), op.f32Add, op.set(S.s),
    bytesLoop(S.i, S.end, 4, op.get(S.s), addressAt(S.x, S.i), op.f32Load(), addressAt(S.x, S.i), op.f32Load(), op.f32Mul, op.f32Add, op.set(S.s)),
    op.get(S.s),
  ],
};

const A = { p: 0, g: 1, m: 2, v: 3, po: 4, mo: 5, vo: 6, n: 7, scale: 8, b1: 9, b2: 10, lrc1: 11, ic2: 12, eps: 13, keep: 14, i: 15, vecEnd: 16, end: 17 };
// vector locals: 18.. ; scalar locals after
const AV = { scale: 18, b1: 19, c1: 20, b2: 21, c2: 22, lrc1: 23, ic2: 24, eps: 25, keep: 26, gv: 27, mv: 28, vv: 29 };
const AS = { gs: 30, ms: 31, vs: 32 };
/** The update of one lane group (vector ops) or one element (scalar ops), reading at offset i. */
function adamStep(vec: boolean): Code[] {
  const load = vec ? op.v128Load() : op.f32Load();
  const store = vec ? op.v128Store() : op.f32Store();
  const [mul, add, sub, div, sqrt] = vec ? [op.f32x4Mul, op.f32x4Add, op.f32x4Sub, op.f32x4Div, op.f32x4Sqrt] : [op.f32Mul, op.f32Add, op.f32Sub, op.f32Div, op.f32Sqrt];
  const c = (vLocal: number, sCode: Code): Code => (vec ? op.get(vLocal) : sCode);
  const [g, mm, vv] = vec ? [AV.gv, AV.mv, AV.vv] : [AS.gs, AS.ms, AS.vs];
  return [
    addressAt(A.g, A.i), load, c(AV.scale, op.get(A.scale)), mul, op.set(g),
    // m' = β1·m + (1 − β1)·g
    addressAt(A.m, A.i), load, c(AV.b1, op.get(A.b1)), mul, op.get(g), c(AV.c1, oneMinus(A.b1)), mul, add, op.set(mm),
    // v' = β2·v + (1 − β2)·g²
    addressAt(A.v, A.i), load, c(AV.b2, op.get(A.b2)), mul, op.get(g), op.get(g), mul, c(AV.c2, oneMinus(A.b2)), mul, add, op.set(vv),
    addressAt(A.mo, A.i), op.get(mm), store,
    addressAt(A.vo, A.i), op.get(vv), store,
    // p' = (p − lr/c1 · m' / (√(v'/c2) + ε))·keep
    addressAt(A.po, A.i),
    addressAt(A.p, A.i), load,
    c(AV.lrc1, op.get(A.lrc1)), op.get(mm), mul,
    op.get(vv), c(AV.ic2, op.get(A.ic2)), mul, sqrt, c(AV.eps, op.get(A.eps)), add,
    div, sub, c(AV.keep, op.get(A.keep)), mul,
    store,
  ];
}
const adam: FunctionDef = {
  name: 'adam',
  params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32],
  locals: [I32, I32, I32, ...new Array(12).fill(V128), F32, F32, F32],
  body: [
    op.get(A.n), op.i32(-4), [0x71], op.i32(2), op.shl, op.set(A.vecEnd),
    op.get(A.n), op.i32(2), op.shl, op.set(A.end),
    splat(A.scale, AV.scale), splat(A.b1, AV.b1), oneMinus(A.b1), op.f32x4Splat, op.set(AV.c1),
    splat(A.b2, AV.b2), oneMinus(A.b2), op.f32x4Splat, op.set(AV.c2),
    splat(A.lrc1, AV.lrc1), splat(A.ic2, AV.ic2), splat(A.eps, AV.eps), splat(A.keep, AV.keep),
    op.i32(0), op.set(A.i),
    bytesLoop(A.i, A.vecEnd, 16, ...adamStep(true)),
    bytesLoop(A.i, A.end, 4, ...adamStep(false)),
  ],
};

const E = { e: 0, s: 1, o: 2, n: 3, decay: 4, i: 5, vecEnd: 6, end: 7, dv: 8, rv: 9 };
const emaStep = (vec: boolean): Code[] => {
  const [load, store, mul, add] = vec ? [op.v128Load(), op.v128Store(), op.f32x4Mul, op.f32x4Add] : [op.f32Load(), op.f32Store(), op.f32Mul, op.f32Add];
  return [
    addressAt(E.o, E.i),
    addressAt(E.e, E.i), load, vec ? op.get(E.dv) : op.get(E.decay), mul,
    addressAt(E.s, E.i), load, vec ? op.get(E.rv) : oneMinus(E.decay), mul,
    add, store,
  ];
};
const ema: FunctionDef = {
  name: 'ema',
  params: [I32, I32, I32, I32, F32],
  locals: [I32, I32, I32, V128, V128],
  body: [
    op.get(E.n), op.i32(-4), [0x71], op.i32(2), op.shl, op.set(E.vecEnd),
    op.get(E.n), op.i32(2), op.shl, op.set(E.end),
    splat(E.decay, E.dv), oneMinus(E.decay), op.f32x4Splat, op.set(E.rv),
    op.i32(0), op.set(E.i),
    bytesLoop(E.i, E.vecEnd, 16, ...emaStep(true)),
    bytesLoop(E.i, E.end, 4, ...emaStep(false)),
  ],
};

export interface SimdOptim {
  sumSquares(x: number, n: number): number;
  adam(p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number, scale: number, beta1: number, beta2: number, lrOverC1: number, invC2: number, eps: number, keep: number): void;
  ema(e: number, s: number, out: number, n: number, decay: number): void;
}

export const simdOptimFor = kernelModule<SimdOptim>([sumSquares, adam, ema]);
