import { encodeModel, ONNX_FLOAT, type OnnxGraph, type OnnxValueInfo } from '../../onnx/protobuf-writer';

// The ONNX model native-gemm.ts runs: Y = op(A)·op(B) as one com.microsoft FusedMatMul with
// symbolic dimensions (batch broadcasting as numpy's matmul).

export function fusedMatMulModel(transposeA: boolean, transposeB: boolean, rankA: number, rankB: number): Uint8Array {
  const tensor = (name: string, rank: number): OnnxValueInfo => ({ name, elemType: ONNX_FLOAT, dims: Array.from({ length: rank }, (_, i) => `${name}${i}`) });
  const node = {
    opType: 'FusedMatMul',
    domain: 'com.microsoft',
    name: 'product',
    inputs: ['A', 'B'],
    outputs: ['Y'],
    attributes: [
      { name: 'transA', int: transposeA ? 1 : 0 },
      { name: 'transB', int: transposeB ? 1 : 0 },
    ],
  };
  const graph: OnnxGraph = { name: 'gemm', nodes: [node], initializers: [], inputs: [tensor('A', rankA), tensor('B', rankB)], outputs: [tensor('Y', Math.max(rankA, rankB))] };
  return encodeModel(graph, 'forge native-gemm', [{ domain: 'com.microsoft', version: 1 }]);
}
