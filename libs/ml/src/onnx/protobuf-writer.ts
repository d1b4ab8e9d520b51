// Just enough protobuf to write an ONNX model: tags, varints, length-delimited fields and packed
// floats, plus the ONNX messages the DiT graph needs. Field numbers follow onnx/onnx.proto.

/** Accumulates one message's encoded fields. */
class MessageWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  private key(field: number, wireType: 0 | 2 | 5): this {
    return this.push(varint(BigInt((field << 3) | wireType)));
  }

  /** int32/int64/enum/bool field (wire type 0); negative values take ten bytes, as protobuf's int64. */
  int(field: number, value: number): this {
    return this.key(field, 0).push(varint(BigInt.asUintN(64, BigInt(value))));
  }

  /** float field (wire type 5). */
  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.key(field, 5).push(bytes);
  }

  /** bytes field, or an embedded message already encoded (wire type 2). */
  bytes(field: number, value: Uint8Array): this {
    return this.key(field, 2).push(varint(BigInt(value.length))).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** repeated int64 field, packed. */
  packedInts(field: number, values: readonly number[]): this {
    return this.bytes(field, concat(values.map((v) => varint(BigInt.asUintN(64, BigInt(v))))));
  }

  /** repeated float field, packed (little-endian IEEE 754). */
  packedFloats(field: number, values: readonly number[]): this {
    return this.bytes(field, floatBytes(Float32Array.from(values)));
  }

  finish(): Uint8Array {
    return concat(this.chunks, this.length);
  }
}

function varint(value: bigint): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

function concat(parts: readonly Uint8Array[], length = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Little-endian float32 bytes (a copy; Node is little-endian, so the view's bytes are already right). */
export function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/** TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  dataType: typeof ONNX_FLOAT | typeof ONNX_INT64;
  /** Row-major little-endian element bytes. */
  raw: Uint8Array;
}

/** TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9. */
export function encodeTensor(t: OnnxTensor): Uint8Array {
  return new MessageWriter().packedInts(1, t.dims).int(2, t.dataType).string(8, t.name).bytes(9, t.raw).finish();
}

/** A dimension is a fixed size or a symbolic name ("B"). */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  elemType: typeof ONNX_FLOAT | typeof ONNX_INT64;
  dims: readonly OnnxDim[];
}

/** ValueInfoProto{name = 1, type = 2: TypeProto{tensor_type = 1: {elem_type = 1, shape = 2: {dim = 1: {dim_value = 1 | dim_param = 2}}}}}. */
export function encodeValueInfo(v: OnnxValueInfo): Uint8Array {
  const shape = new MessageWriter();
  for (const d of v.dims) shape.bytes(1, typeof d === 'number' ? new MessageWriter().int(1, d).finish() : new MessageWriter().string(2, d).finish());
  const tensorType = new MessageWriter().int(1, v.elemType).bytes(2, shape.finish()).finish();
  const type = new MessageWriter().bytes(1, tensorType).finish();
  return new MessageWriter().string(1, v.name).bytes(2, type).finish();
}

export type OnnxAttribute =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: readonly number[] }
  | { name: string; floats: readonly number[] };

/** AttributeProto: name = 1, f = 2, i = 3, floats = 7, ints = 8, type = 20 (FLOAT 1, INT 2, FLOATS 6, INTS 7). */
export function encodeAttribute(a: OnnxAttribute): Uint8Array {
  const w = new MessageWriter().string(1, a.name);
  if ('int' in a) w.int(3, a.int).int(20, 2);
  else if ('float' in a) w.float(2, a.float).int(20, 1);
  else if ('ints' in a) w.packedInts(8, a.ints).int(20, 7);
  else w.packedFloats(7, a.floats).int(20, 6);
  return w.finish();
}

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  /** '' = the default ONNX domain. */
  domain?: string;
  attributes?: readonly OnnxAttribute[];
}

/** NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7. */
export function encodeNode(n: OnnxNode): Uint8Array {
  const w = new MessageWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const a of n.attributes ?? []) w.bytes(5, encodeAttribute(a));
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

/** GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12. */
export function encodeGraph(g: OnnxGraph): Uint8Array {
  const w = new MessageWriter();
  for (const n of g.nodes) w.bytes(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.bytes(5, encodeTensor(t));
  for (const i of g.inputs) w.bytes(11, encodeValueInfo(i));
  for (const o of g.outputs) w.bytes(12, encodeValueInfo(o));
  return w.finish();
}

/** IR version 8 is the one ONNX 1.12 paired with opset 17. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

/**
 * ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 (OperatorSetIdProto:
 * domain = 1, version = 2). The default domain at opset 17, plus any extra domains named.
 */
export function encodeModel(graph: OnnxGraph, producer: string, extraOpsets: readonly { domain: string; version: number }[] = []): Uint8Array {
  const w = new MessageWriter().int(1, ONNX_IR_VERSION).string(2, producer).bytes(7, encodeGraph(graph));
  w.bytes(8, new MessageWriter().string(1, '').int(2, ONNX_OPSET).finish());
  for (const o of extraOpsets) w.bytes(8, new MessageWriter().string(1, o.domain).int(2, o.version).finish());
  return w.finish();
}
