import { Code, F32, FunctionDef, I32, op, V128, whileBelow, overVectors, addressAt } from './wasm-asm';
import { kernelModule } from './kernel-module';

// The fused normalisation (fused-norm.ts) as SIMD code on the backend's memory, for widths that
// are a multiple of 4: y = x̂·(offset + scale[g]) + shift[g] per row, and its gradient.
//   normForward(x, shift, scale, y, rows, dim, rowsPerGroup, offset, eps)
//   normBackward(dy, x, scale, dx, dshift, dscale, rows, dim, rowsPerGroup, offset, eps)
//     (dshift and dscale are accumulated into: the caller zeroes them)

const hsum = (v: number): Code => [
  ...op.get(v), ...op.f32x4ExtractLane(0), ...op.get(v), ...op.f32x4ExtractLane(1), ...op.f32Add,
  ...op.get(v), ...op.f32x4ExtractLane(2), ...op.f32Add, ...op.get(v), ...op.f32x4ExtractLane(3), ...op.f32Add,
];

const at3 = (base: number, gofs: number, d: number): Code => [...op.get(base), ...op.get(gofs), ...op.add, ...op.get(d), ...op.add];
const zero = (v: number): Code => [...op.f32(0), ...op.f32x4Splat, ...op.set(v)];

/** mean and rstd of the row at px into meanv / rstdv (acc is scratch). */
function rowStats(px: number, d: number, dim4: number, dim: number, eps: number, acc: number, t: number, meanv: number, rstdv: number): Code {
  return [
    ...zero(acc),
    ...overVectors(d, dim4, op.get(acc), addressAt(px, d), op.v128Load(), op.f32x4Add, op.set(acc)),
    ...hsum(acc), ...op.get(dim), ...op.f32FromI32, ...op.f32Div, ...op.f32x4Splat, ...op.set(meanv),
    ...zero(acc),
    ...overVectors(d, dim4, addressAt(px, d), op.v128Load(), op.get(meanv), op.f32x4Sub, op.set(t), op.get(acc), op.get(t), op.get(t), op.f32x4Mul, op.f32x4Add, op.set(acc)),
    ...op.f32(1), ...hsum(acc), ...op.get(dim), ...op.f32FromI32, ...op.f32Div, ...op.get(eps), ...op.f32Add, ...op.f32Sqrt, ...op.f32Div, ...op.f32x4Splat, ...op.set(rstdv),
  ];
}

/** Per row r: the byte offsets of the row and of its group's parameters. */
function rowLoop(r: number, rows: number, body: Code[]): Code {
  return whileBelow(r, rows, 1, ...body);
}

const F = { x: 0, sh: 1, sc: 2, y: 3, rows: 4, dim: 5, pg: 6, off: 7, eps: 8, r: 9, d: 10, px: 11, py: 12, gofs: 13, dim4: 14, acc: 15, t: 16, meanv: 17, rstdv: 18, offv: 19 };
const normForward: FunctionDef = {
  name: 'normForward',
  params: [I32, I32, I32, I32, I32, I32, I32, F32, F32],
  locals: [I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128],
  body: [
    op.get(F.dim), op.i32(2), op.shl, op.set(F.dim4),
    op.get(F.off), op.f32x4Splat, op.set(F.offv),
    op.i32(0), op.set(F.r),
    rowLoop(F.r, F.rows, [
      op.get(F.x), op.get(F.r), op.get(F.dim4), op.mul, op.add, op.set(F.px),
      op.get(F.y), op.get(F.r), op.get(F.dim4), op.mul, op.add, op.set(F.py),
      op.get(F.r), op.get(F.pg), op.divU, op.get(F.dim4), op.mul, op.set(F.gofs),
      rowStats(F.px, F.d, F.dim4, F.dim, F.eps, F.acc, F.t, F.meanv, F.rstdv),
      overVectors(F.d, F.dim4,
        addressAt(F.py, F.d),
        addressAt(F.px, F.d), op.v128Load(), op.get(F.meanv), op.f32x4Sub, op.get(F.rstdv), op.f32x4Mul,
        op.get(F.offv), at3(F.sc, F.gofs, F.d), op.v128Load(), op.f32x4Add, op.f32x4Mul,
        at3(F.sh, F.gofs, F.d), op.v128Load(), op.f32x4Add,
        op.v128Store(),
      ),
    ]),
  ],
};

const B = { dy: 0, x: 1, sc: 2, dx: 3, dsh: 4, dsc: 5, rows: 6, dim: 7, pg: 8, off: 9, eps: 10, r: 11, d: 12, px: 13, pdy: 14, pdx: 15, gofs: 16, dim4: 17, acc: 18, acc2: 19, t: 20, h: 21, g: 22, dyv: 23, meanv: 24, rstdv: 25, offv: 26, mgv: 27, mgxv: 28 };
const normalized = (): Code => [...addressAt(B.px, B.d), ...op.v128Load(), ...op.get(B.meanv), ...op.f32x4Sub, ...op.get(B.rstdv), ...op.f32x4Mul, ...op.set(B.h)];
const normBackward: FunctionDef = {
  name: 'normBackward',
  params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, F32],
  locals: [I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128, V128, V128, V128],
  body: [
    op.get(B.dim), op.i32(2), op.shl, op.set(B.dim4),
    op.get(B.off), op.f32x4Splat, op.set(B.offv),
    op.i32(0), op.set(B.r),
    rowLoop(B.r, B.rows, [
      op.get(B.x), op.get(B.r), op.get(B.dim4), op.mul, op.add, op.set(B.px),
      op.get(B.dy), op.get(B.r), op.get(B.dim4), op.mul, op.add, op.set(B.pdy),
      op.get(B.dx), op.get(B.r), op.get(B.dim4), op.mul, op.add, op.set(B.pdx),
      op.get(B.r), op.get(B.pg), op.divU, op.get(B.dim4), op.mul, op.set(B.gofs),
      rowStats(B.px, B.d, B.dim4, B.dim, B.eps, B.acc, B.t, B.meanv, B.rstdv),
      zero(B.acc), zero(B.acc2),
      overVectors(B.d, B.dim4,
        normalized(),
        addressAt(B.pdy, B.d), op.v128Load(), op.set(B.dyv),
        op.get(B.dyv), op.get(B.offv), at3(B.sc, B.gofs, B.d), op.v128Load(), op.f32x4Add, op.f32x4Mul, op.set(B.g),
        op.get(B.acc), op.get(B.g), op.f32x4Add, op.set(B.acc),
        op.get(B.acc2), op.get(B.g), op.get(B.h), op.f32x4Mul, op.f32x4Add, op.set(B.acc2),
        at3(B.dsh, B.gofs, B.d), at3(B.dsh, B.gofs, B.d), op.v128Load(), op.get(B.dyv), op.f32x4Add, op.v128Store(),
        at3(B.dsc, B.gofs, B.d), at3(B.dsc, B.gofs, B.d), op.v128Load(), op.get(B.dyv), op.get(B.h), op.f32x4Mul, op.f32x4Add, op.v128Store(),
      ),
      hsum(B.acc), op.get(B.dim), op.f32FromI32, op.f32Div, op.f32x4Splat, op.set(B.mgv),
      hsum(B.acc2), op.get(B.dim), op.f32FromI32, op.f32Div, op.f32x4Splat, op.set(B.mgxv),
      overVectors(B.d, B.dim4,
        normalized(),
        addressAt(B.pdx, B.d),
        addressAt(B.pdy, B.d), op.v128Load(), op.get(B.offv), at3(B.sc, B.gofs, B.d), op.v128Load(), op.f32x4Add, op.f32x4Mul,
        op.get(B.mgv), op.f32x4Sub, op.get(B.h), op.get(B.mgxv), op.f32x4Mul, op.f32x4Sub,
        op.get(B.rstdv), op.f32x4Mul,
        op.v128Store(),
      ),
    ]),
  ],
};

// gatedAdd(x, y, gate, out, rows, dim, rowsPerGroup): out = x + y·gate[g] (the DiT's gated residual)
// gatedAddGrad(dy, y, gate, dyOut, dgate, rows, dim, rowsPerGroup): dyOut = dy·gate[g], dgate[g] += dy·y
const G = { a: 0, b: 1, gate: 2, o1: 3, rows: 4, dim: 5, pg: 6, r: 7, d: 8, roff: 9, gofs: 10, dim4: 11 };
const rowOffsets = (pg: number, r: number, roff: number, gofs: number, dim4: number): Code[] => [
  op.get(r), op.get(dim4), op.mul, op.set(roff),
  op.get(r), op.get(pg), op.divU, op.get(dim4), op.mul, op.set(gofs),
];
const gatedAdd: FunctionDef = {
  name: 'gatedAdd',
  params: 7,
  locals: [I32, I32, I32, I32, I32],
  body: [
    op.get(G.dim), op.i32(2), op.shl, op.set(G.dim4),
    op.i32(0), op.set(G.r),
    rowLoop(G.r, G.rows, [
      ...rowOffsets(G.pg, G.r, G.roff, G.gofs, G.dim4),
      overVectors(G.d, G.dim4,
        at3(G.o1, G.roff, G.d),
        at3(G.a, G.roff, G.d), op.v128Load(),
        at3(G.b, G.roff, G.d), op.v128Load(), at3(G.gate, G.gofs, G.d), op.v128Load(), op.f32x4Mul,
        op.f32x4Add, op.v128Store(),
      ),
    ]),
  ],
};
const GB = { dy: 0, y: 1, gate: 2, dyOut: 3, dgate: 4, rows: 5, dim: 6, pg: 7, r: 8, d: 9, roff: 10, gofs: 11, dim4: 12, dyv: 13 };
const gatedAddGrad: FunctionDef = {
  name: 'gatedAddGrad',
  params: 8,
  locals: [I32, I32, I32, I32, I32, V128],
  body: [
    op.get(GB.dim), op.i32(2), op.shl, op.set(GB.dim4),
    op.i32(0), op.set(GB.r),
    rowLoop(GB.r, GB.rows, [
      ...rowOffsets(GB.pg, GB.r, GB.roff, GB.gofs, GB.dim4),
      overVectors(GB.d, GB.dim4,
        at3(GB.dy, GB.roff, GB.d), op.v128Load(), op.set(GB.dyv),
        at3(GB.dyOut, GB.roff, GB.d), op.get(GB.dyv), at3(GB.gate, GB.gofs, GB.d), op.v128Load(), op.f32x4Mul, op.v128Store(),
        at3(GB.dgate, GB.gofs, GB.d), at3(GB.dgate, GB.gofs, GB.d), op.v128Load(), op.get(GB.dyv), at3(GB.y, GB.roff, GB.d), op.v128Load(), op.f32x4Mul, op.f32x4Add, op.v128Store(),
      ),
    ]),
  ],
};

export interface SimdNorm {
  normForward(x: number, shift: number, scale: number, y: number, rows: number, dim: number, rowsPerGroup: number, offset: number, eps: number): void;
  normBackward(dy: number, x: number, scale: number, dx: number, dshift: number, dscale: number, rows: number, dim: number, rowsPerGroup: number, offset: number, eps: number): void;
  gatedAdd(x: number, y: number, gate: number, out: number, rows: number, dim: number, rowsPerGroup: number): void;
  gatedAddGrad(dy: number, y: number, gate: number, dyOut: number, dgate: number, rows: number, dim: number, rowsPerGroup: number): void;
}

export const simdNormFor = kernelModule<SimdNorm>([normForward, normBackward, gatedAdd, gatedAddGrad]);
