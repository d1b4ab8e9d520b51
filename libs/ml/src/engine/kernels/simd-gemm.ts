import { assemble, Code, F32, FunctionDef, I32, op, V128, ValueType } from './wasm-asm';
import { kernelModule } from './kernel-module';

// A SIMD matrix product that runs inside the backend's own memory, on tensors in place.
// XNNPACK's GEMM (what the stock kernel and our BatchMatMul use for plain products) wants a
// row-major left operand and packs the right one into a new operator on every call, so each
// transposed operand costs a copy and every slice of a batched product (attention: 64 slices of
// 64×16) costs an operator. Here the left operand is read through strides (a transposed A is
// free), a transposed B is copied once per slice into scratch, and a whole batch is one call.
//
// gemm(a, b, c, M, N, K, ars, acs, ldb, ldc): C[i,j] = Σ_k A[i·ars + k·acs] · B[k·ldb + j]
//   (byte addresses a, b, c; strides in elements), computed in 4-row × 8-column register tiles.

const P = { a: 0, b: 1, c: 2, M: 3, N: 4, K: 5, ars: 6, acs: 7, ldb: 8, ldc: 9 };
const L = { i: 10, j: 11, k: 12, pa: 13, pb: 14, pc: 15, ars4: 16, acs4: 17, ldb4: 18, ldc4: 19, ro: [0, 20, 21, 22], x: 23, bv: [24, 25], acc0: 26, s: [34, 35, 36, 37], bs: 38 };
const GEMM_LOCALS: ValueType[] = [...new Array(13).fill(I32), ...new Array(11).fill(V128), ...new Array(5).fill(F32)];
const acc = (r: number, v: number) => L.acc0 + r * 2 + v;

/** One R×(4·V) tile at (i, j); V = 0 is a single scalar column. */
function tile(rows: number, vectors: number): Code[] {
  const code: Code[] = [
    op.get(P.a), op.get(L.i), op.get(L.ars4), op.mul, op.add, op.set(L.pa),
    op.get(P.b), op.get(L.j), op.i32(2), op.shl, op.add, op.set(L.pb),
    op.get(P.c), op.get(L.i), op.get(L.ldc4), op.mul, op.add, op.get(L.j), op.i32(2), op.shl, op.add, op.set(L.pc),
    op.get(P.K), op.set(L.k),
  ];
  for (let r = 0; r < rows; r++) {
    if (vectors === 0) code.push(op.f32(0), op.set(L.s[r]));
    for (let v = 0; v < vectors; v++) code.push(op.f32(0), op.f32x4Splat, op.set(acc(r, v)));
  }
  const aAddress = (r: number): Code => (r === 0 ? op.get(L.pa) : [...op.get(L.pa), ...op.get(L.ro[r]), ...op.add]);
  const step: Code[] = [op.get(L.k), op.eqz, op.brIf(1)];
  if (vectors === 0) step.push(op.get(L.pb), op.f32Load(), op.set(L.bs));
  for (let v = 0; v < vectors; v++) step.push(op.get(L.pb), op.v128Load(16 * v), op.set(L.bv[v]));
  for (let r = 0; r < rows; r++) {
    if (vectors === 0) {
      step.push(op.get(L.s[r]), aAddress(r), op.f32Load(), op.get(L.bs), op.f32Mul, op.f32Add, op.set(L.s[r]));
      continue;
    }
    step.push(aAddress(r), op.v128Load32Splat(), op.set(L.x));
    for (let v = 0; v < vectors; v++) step.push(op.get(acc(r, v)), op.get(L.x), op.get(L.bv[v]), op.f32x4Mul, op.f32x4Add, op.set(acc(r, v)));
  }
  step.push(
    op.get(L.pa), op.get(L.acs4), op.add, op.set(L.pa),
    op.get(L.pb), op.get(L.ldb4), op.add, op.set(L.pb),
    op.get(L.k), op.i32(1), op.sub, op.set(L.k),
    op.br(0),
  );
  code.push(op.block(op.loop(...step)));
  for (let r = 0; r < rows; r++) {
    const rowAddress: Code = [...op.get(L.pc), ...op.get(L.ldc4), ...op.i32(r), ...op.mul, ...op.add];
    if (vectors === 0) code.push(rowAddress, op.get(L.s[r]), op.f32Store());
    for (let v = 0; v < vectors; v++) code.push(rowAddress, op.get(acc(r, v)), op.v128Store(16 * v));
  }
  return code;
}

/** All columns of the `rows` rows starting at i: 8-wide tiles, then 4-wide, then single columns. */
function rowBlock(rows: number): Code {
  const advance = (n: number): Code => [...op.get(L.j), ...op.i32(n), ...op.add, ...op.set(L.j)];
  const left = (n: number): Code => [...op.get(P.N), ...op.get(L.j), ...op.sub, ...op.i32(n), ...op.geS];
  return [
    ...op.i32(0), ...op.set(L.j),
    ...op.block(
      op.loop(
        op.get(L.j), op.get(P.N), op.geS, op.brIf(1),
        left(8),
        op.ifElse([...tile(rows, 2), advance(8)], [left(4), op.ifElse([...tile(rows, 1), advance(4)], [...tile(rows, 0), advance(1)])]),
        op.br(0),
      ),
    ),
  ];
}

const gemm: FunctionDef = {
  name: 'gemm',
  params: 10,
  locals: GEMM_LOCALS,
  body: [
    op.get(P.ars), op.i32(2), op.shl, op.set(L.ars4),
    op.get(P.acs), op.i32(2), op.shl, op.set(L.acs4),
    op.get(P.ldb), op.i32(2), op.shl, op.set(L.ldb4),
    op.get(P.ldc), op.i32(2), op.shl, op.set(L.ldc4),
    op.get(L.ars4), op.set(L.ro[1]),
    op.get(L.ars4), op.i32(1), op.shl, op.set(L.ro[2]),
    op.get(L.ars4), op.i32(3), op.mul, op.set(L.ro[3]),
    op.i32(0), op.set(L.i),
    op.block(
      op.loop(
        op.get(L.i), op.get(P.M), op.geS, op.brIf(1),
        op.get(P.M), op.get(L.i), op.sub, op.i32(4), op.geS,
        op.ifElse([rowBlock(4), op.get(L.i), op.i32(4), op.add, op.set(L.i)], [rowBlock(1), op.get(L.i), op.i32(1), op.add, op.set(L.i)]),
        op.br(0),
      ),
    ),
  ],
};

// transpose(src, dst, rows, cols): dst[c·rows + r] = src[r·cols + c]
const T = { src: 0, dst: 1, rows: 2, cols: 3, r: 4, c: 5, ps: 6, pd: 7, rows4: 8 };
const transpose: FunctionDef = {
  name: 'transpose',
  params: 4,
  locals: [I32, I32, I32, I32, I32],
  body: [
    op.get(T.rows), op.i32(2), op.shl, op.set(T.rows4),
    op.i32(0), op.set(T.r),
    op.block(
      op.loop(
        op.get(T.r), op.get(T.rows), op.geS, op.brIf(1),
        op.get(T.src), op.get(T.r), op.get(T.cols), op.mul, op.i32(2), op.shl, op.add, op.set(T.ps),
        op.get(T.dst), op.get(T.r), op.i32(2), op.shl, op.add, op.set(T.pd),
        op.i32(0), op.set(T.c),
        op.block(
          op.loop(
            op.get(T.c), op.get(T.cols), op.geS, op.brIf(1),
            op.get(T.pd), op.get(T.ps), op.f32Load(), op.f32Store(),
            op.get(T.ps), op.i32(4), op.add, op.set(T.ps),
            op.get(T.pd), op.get(T.rows4), op.add, op.set(T.pd),
            op.get(T.c), op.i32(1), op.add, op.set(T.c),
            op.br(0),
          ),
        ),
        op.get(T.r), op.i32(1), op.add, op.set(T.r),
        op.br(0),
      ),
    ),
  ],
};

// gemmBatched(a, b, c, batch, sa, sb, sc, M, N, K, ars, acs, ldb, ldc, tb, scratch): `batch`
// products, operand t at a + t·sa (elements; 0 = shared). With tb, each B slice is stored [N, K]
// (row stride ldb) and is first transposed into scratch (K·N floats).
const B = { a: 0, b: 1, c: 2, batch: 3, sa: 4, sb: 5, sc: 6, M: 7, N: 8, K: 9, ars: 10, acs: 11, ldb: 12, ldc: 13, tb: 14, scratch: 15, t: 16, pb: 17 };
const slice = (base: number, stride: number): Code => [...op.get(base), ...op.get(B.t), ...op.get(stride), ...op.mul, ...op.i32(2), ...op.shl, ...op.add];
const gemmBatched: FunctionDef = {
  name: 'gemmBatched',
  params: 16,
  locals: [I32, I32],
  body: [
    op.i32(0), op.set(B.t),
    op.block(
      op.loop(
        op.get(B.t), op.get(B.batch), op.geS, op.brIf(1),
        slice(B.b, B.sb), op.set(B.pb),
        op.get(B.tb),
        op.ifElse(
          [
            op.get(B.pb), op.get(B.scratch), op.get(B.N), op.get(B.K), op.call(1),
            slice(B.a, B.sa), op.get(B.scratch), slice(B.c, B.sc), op.get(B.M), op.get(B.N), op.get(B.K), op.get(B.ars), op.get(B.acs), op.get(B.N), op.get(B.ldc), op.call(0),
          ],
          [slice(B.a, B.sa), op.get(B.pb), slice(B.c, B.sc), op.get(B.M), op.get(B.N), op.get(B.K), op.get(B.ars), op.get(B.acs), op.get(B.ldb), op.get(B.ldc), op.call(0)],
        ),
        op.get(B.t), op.i32(1), op.add, op.set(B.t),
        op.br(0),
      ),
    ),
  ],
};

// gemmWork(ctrl): the shared work loop of a product split over threads. ctrl points at the
// control block below (i32 slots); every thread claims blocks of ROWS_PER_BLOCK rows of one
// slice with an atomic fetch-and-add on NEXT until none is left.
export const ROWS_PER_BLOCK = 16;
export const SLOT = { GEN: 0, STATE: 1, NEXT: 2, LEFT: 3, TOTAL: 4, A: 5, B: 6, C: 7, BATCH: 8, SA: 9, SB: 10, SC: 11, M: 12, N: 13, K: 14, ARS: 15, ACS: 16, LDB: 17, LDC: 18, RB: 19 };
export const CONTROL_SLOTS = 20;
const W = { ctrl: 0, blk: 1, t: 2, i0: 3, rows: 4 };
const slot = (name: keyof typeof SLOT): Code => [...op.get(W.ctrl), ...op.i32Load(4 * SLOT[name])];
const gemmWork: FunctionDef = {
  name: 'gemmWork',
  params: 1,
  locals: [I32, I32, I32, I32],
  body: [
    op.block(
      op.loop(
        op.get(W.ctrl), op.i32(1), op.i32AtomicAdd(4 * SLOT.NEXT), op.set(W.blk),
        op.get(W.blk), slot('TOTAL'), op.geS, op.brIf(1),
        op.get(W.blk), slot('RB'), op.divU, op.set(W.t),
        op.get(W.blk), slot('RB'), op.remU, op.i32(ROWS_PER_BLOCK), op.mul, op.set(W.i0),
        op.i32(ROWS_PER_BLOCK), slot('M'), op.get(W.i0), op.sub, slot('M'), op.get(W.i0), op.sub, op.i32(ROWS_PER_BLOCK), op.geS, op.select, op.set(W.rows),
        // a + (t·sa + i0·ars)·4, b + t·sb·4, c + (t·sc + i0·ldc)·4
        slot('A'), op.get(W.t), slot('SA'), op.mul, op.get(W.i0), slot('ARS'), op.mul, op.add, op.i32(2), op.shl, op.add,
        slot('B'), op.get(W.t), slot('SB'), op.mul, op.i32(2), op.shl, op.add,
        slot('C'), op.get(W.t), slot('SC'), op.mul, op.get(W.i0), slot('LDC'), op.mul, op.add, op.i32(2), op.shl, op.add,
        op.get(W.rows), slot('N'), slot('K'), slot('ARS'), slot('ACS'), slot('LDB'), slot('LDC'),
        op.call(0),
        op.br(0),
      ),
    ),
  ],
};

export interface SimdGemm {
  gemmBatched(a: number, b: number, c: number, batch: number, sa: number, sb: number, sc: number, m: number, n: number, k: number, ars: number, acs: number, ldb: number, ldc: number, tb: number, scratch: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  gemmWork(ctrl: number): void;
}

/** The kernel module's bytes for a memory of this kind (workers instantiate the same). */
export function simdGemmModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return assemble([gemm, transpose, gemmBatched, gemmWork], shared);
}

export const simdGemmFor = kernelModule<SimdGemm>([gemm, transpose, gemmBatched, gemmWork]);
