// A small WebAssembly assembler: enough to build kernel modules at run time that import the
// tfjs wasm backend's memory and work on its tensors in place (no toolchain, nothing prebuilt).
// Instructions are byte arrays; functions take i32 parameters and return nothing.

export type Code = number[];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F32 | typeof V128;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const simd = (op: number, ...rest: number[]): Code => [0xfd, ...uleb(op), ...rest];
/** Memory argument: alignment exponent and constant byte offset. */
const memarg = (align: number, offset: number): number[] => [align, ...uleb(offset)];

export const op = {
  get: (i: number): Code => [0x20, ...uleb(i)],
  set: (i: number): Code => [0x21, ...uleb(i)],
  tee: (i: number): Code => [0x22, ...uleb(i)],
  i32: (v: number): Code => [0x41, ...sleb(v)],
  f32: (v: number): Code => [0x43, ...new Uint8Array(new Float32Array([v]).buffer)],
  add: [0x6a] as Code,
  sub: [0x6b] as Code,
  mul: [0x6c] as Code,
  shl: [0x74] as Code,
  eqz: [0x45] as Code,
  ltS: [0x48] as Code,
  geS: [0x4e] as Code,
  divU: [0x6e] as Code,
  remU: [0x70] as Code,
  /** Picks the first of two values when the i32 on top is non-zero. */
  select: [0x1b] as Code,
  i32Load: (offset = 0): Code => [0x28, ...memarg(2, offset)],
  /** memory.copy(dst, src, bytes) of the bulk-memory proposal (in every Node that runs SIMD). */
  memoryCopy: [0xfc, 0x0a, 0x00, 0x00] as Code,
  /** Atomic fetch-and-add on shared memory (returns the old value). */
  i32AtomicAdd: (offset = 0): Code => [0xfe, 0x1e, ...memarg(2, offset)],
  f32Load: (offset = 0): Code => [0x2a, ...memarg(2, offset)],
  f32Store: (offset = 0): Code => [0x38, ...memarg(2, offset)],
  f32Sqrt: [0x91] as Code,
  f32FromI32: [0xb2] as Code,
  f32Div: [0x95] as Code,
  f32Add: [0x92] as Code,
  f32Sub: [0x93] as Code,
  f32Mul: [0x94] as Code,
  f32Max: [0x97] as Code,
  v128Load: (offset = 0): Code => simd(0x00, ...memarg(2, offset)),
  v128Store: (offset = 0): Code => simd(0x0b, ...memarg(2, offset)),
  v128Load32Splat: (offset = 0): Code => simd(0x09, ...memarg(2, offset)),
  f32x4Splat: simd(0x13),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  f32x4Sqrt: simd(0xe3),
  f32x4ExtractLane: (lane: number): Code => simd(0x1f, lane),
  /** b > a ? b : a — one instruction (f32x4.max must order −0/+0 and NaNs, which costs several). */
  f32x4Pmax: simd(0xeb),
  /** b < a ? b : a */
  f32x4Pmin: simd(0xea),
  /** Lane-wise a > b as all-ones / all-zeros masks. */
  f32x4Gt: simd(0x44),
  v128And: simd(0x4e),
  /** Round to nearest, ties to even. */
  f32x4Nearest: simd(0x6a),
  /** A constant with four equal lanes. */
  f32x4Const: (v: number): Code => simd(0x0c, ...new Uint8Array(new Float32Array([v, v, v, v]).buffer)),
  i32x4TruncSatF32x4: simd(0xf8),
  i32x4Shl: simd(0xab),
  i32x4Add: simd(0xae),
  /** A block whose label `br 0` leaves. */
  block: (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b],
  /** A loop whose label `br 0` repeats. */
  loop: (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b],
  if: (...body: Code[]): Code => [0x04, 0x40, ...body.flat(), 0x0b],
  ifElse: (then: Code[], otherwise: Code[]): Code => [0x04, 0x40, ...then.flat(), 0x05, ...otherwise.flat(), 0x0b],
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
  call: (index: number): Code => [0x10, ...uleb(index)],
  return: [0x0f] as Code,
};

/** while (i < limit) { body; i += step } — i and limit are locals (signed compare). */
export function whileBelow(i: number, limit: number, step: number, ...body: Code[]): Code {
  return op.block(op.loop(op.get(i), op.get(limit), op.geS, op.brIf(1), ...body, op.get(i), op.i32(step), op.add, op.set(i), op.br(0)));
}

/** for (i = 0; i < limit; i += step) body */
export function countUp(i: number, limit: number, step: number, ...body: Code[]): Code {
  return [...op.i32(0), ...op.set(i), ...whileBelow(i, limit, step, ...body)];
}

/** for (i = 0; i < bytes; i += 16) body: one 128-bit vector per iteration, i a byte offset. */
export function overVectors(i: number, bytes: number, ...body: Code[]): Code {
  return countUp(i, bytes, 16, ...body);
}

/** The address base + offset (both i32 locals). */
export function addressAt(base: number, offset: number): Code {
  return [...op.get(base), ...op.get(offset), ...op.add];
}

export interface FunctionDef {
  name: string;
  /** A count of i32 parameters, or their types. */
  params: number | ValueType[];
  /** Result types (none by default). */
  results?: ValueType[];
  locals: ValueType[];
  body: Code[];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

/** A module importing `env.memory` (shared when the backend's memory is) and exporting `functions`. */
export function assemble(functions: FunctionDef[], sharedMemory: boolean): Uint8Array<ArrayBuffer> {
  const paramTypes = (f: FunctionDef): ValueType[] => (typeof f.params === 'number' ? new Array(f.params).fill(I32) : f.params);
  const signature = (f: FunctionDef) => `${paramTypes(f).join(',')}:${(f.results ?? []).join(',')}`;
  const types = [...new Set(functions.map(signature))];
  const list = (text: string) => text.split(',').filter((x) => x !== '').map((x) => [Number(x)]);
  const typeSection = vector(types.map((t) => [0x60, ...vector(list(t.split(':')[0])), ...vector(list(t.split(':')[1]))]));
  // Shared memory needs a maximum; 65536 pages (4 GiB) admits whatever the backend declared.
  const limits = sharedMemory ? [0x03, ...uleb(0), ...uleb(65536)] : [0x00, ...uleb(0)];
  const importSection = vector([[...name('env'), ...name('memory'), 0x02, ...limits]]);
  const functionSection = vector(functions.map((f) => uleb(types.indexOf(signature(f)))));
  const exportSection = vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const bodies = functions.map((f) => {
    const locals = vector(f.locals.map((t) => [1, t]));
    const body = [...locals, ...f.body.flat(), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, typeSection),
    ...section(2, importSection),
    ...section(3, functionSection),
    ...section(7, exportSection),
    ...section(10, vector(bodies)),
  ]);
}
