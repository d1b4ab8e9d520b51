// The ONNX model native-gemm.ts runs: Y = op(A)·op(B) as one com.microsoft FusedMatMul with
// symbolic dimensions, written directly as protobuf (field numbers from onnx.proto).

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte += 128;
    out.push(byte);
  } while (v > 0);
  return out;
}

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const key = (field: number, wire: number) => varint(field * 8 + wire);
const int = (field: number, value: number) => [...key(field, WIRE_VARINT), ...varint(value)];
const bytes = (field: number, content: number[]) => [...key(field, WIRE_BYTES), ...varint(content.length), ...content];
const text = (field: number, value: string) => bytes(field, [...Buffer.from(value, 'utf8')]);
const message = (field: number, ...parts: number[][]) => bytes(field, parts.flat());

const ATTRIBUTE_INT = 2;
const FLOAT32 = 1;

/** ValueInfoProto of a float tensor whose dimensions are all named (symbolic). */
function floatInput(field: number, name: string, rank: number): number[] {
  const dims = Array.from({ length: rank }, (_, i) => message(1, text(2, `${name}${i}`))); // Dimension.dim_param
  const tensorType = message(1, int(1, FLOAT32), message(2, ...dims)); // TypeProto.tensor_type{elem_type, shape}
  return message(field, text(1, name), message(2, tensorType)); // ValueInfoProto{name, type}
}

export function fusedMatMulModel(transposeA: boolean, transposeB: boolean, rankA: number, rankB: number): Uint8Array {
  const attribute = (name: string, value: number) => message(5, text(1, name), int(3, value), int(20, ATTRIBUTE_INT));
  const node = message(1, text(1, 'A'), text(1, 'B'), text(2, 'Y'), text(3, 'product'), text(4, 'FusedMatMul'), text(7, 'com.microsoft'), attribute('transA', transposeA ? 1 : 0), attribute('transB', transposeB ? 1 : 0));
  const graph = message(7, node, text(2, 'gemm'), floatInput(11, 'A', rankA), floatInput(11, 'B', rankB), floatInput(12, 'Y', Math.max(rankA, rankB)));
  const opset = (domain: string, version: number) => message(8, text(1, domain), int(2, version));
  return Uint8Array.from([...int(1, 8), ...graph, ...opset('', 17), ...opset('com.microsoft', 1)]); // ModelProto{ir_version 8, graph, opset_import}
}
