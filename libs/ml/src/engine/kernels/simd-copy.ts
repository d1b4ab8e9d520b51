import { countUp, FunctionDef, I32, op } from './wasm-asm';
import { kernelModule } from './kernel-module';

// Swapping two axis groups that keep a contiguous inner run (attention's head split
// [B, T, H, hd] → [B, H, T, hd] and back): one memory.copy per run of `inner` floats, on the
// backend's heap. The stock kernel walks every element through index arithmetic.
//   swapGroups(src, dst, outer, rows, cols, inner): [outer, rows, cols, inner] → [outer, cols, rows, inner]

const P = { src: 0, dst: 1, outer: 2, rows: 3, cols: 4, inner: 5, o: 6, c: 7, r: 8, run: 9, from: 10, to: 11, plane: 12 };
const counted = (i: number, limit: number, ...body: number[][]): number[] => countUp(i, limit, 1, ...body);
const swapGroups: FunctionDef = {
  name: 'swapGroups',
  params: 6,
  locals: [I32, I32, I32, I32, I32, I32, I32],
  body: [
    op.get(P.inner), op.i32(2), op.shl, op.set(P.run),
    op.get(P.rows), op.get(P.cols), op.mul, op.get(P.run), op.mul, op.set(P.plane),
    counted(P.o, P.outer,
      counted(P.c, P.cols,
        // to = dst + o·plane + c·rows·run; from = src + o·plane + c·run
        op.get(P.dst), op.get(P.o), op.get(P.plane), op.mul, op.add, op.get(P.c), op.get(P.rows), op.mul, op.get(P.run), op.mul, op.add, op.set(P.to),
        op.get(P.src), op.get(P.o), op.get(P.plane), op.mul, op.add, op.get(P.c), op.get(P.run), op.mul, op.add, op.set(P.from),
        counted(P.r, P.rows,
          op.get(P.to), op.get(P.from), op.get(P.run), op.memoryCopy,
          op.get(P.to), op.get(P.run), op.add, op.set(P.to),
          op.get(P.from), op.get(P.cols), op.get(P.run), op.mul, op.add, op.set(P.from),
        ),
      ),
    ),
  ],
};

export interface SimdCopy {
  swapGroups(src: number, dst: number, outer: number, rows: number, cols: number, inner: number): void;
}

export const simdCopyFor = kernelModule<SimdCopy>([swapGroups]);
