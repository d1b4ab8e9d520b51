import { floatBytes, OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo, ONNX_FLOAT, ONNX_INT64 } from './protobuf-writer';

/**
 * Collects nodes and initializers in topological order, naming every intermediate value, so a
 * forward function can be written op by op like its tfjs twin.
 */
export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** One node with one output; returns the output's name. */
  op(opType: string, inputs: readonly string[], attributes?: readonly OnnxAttribute[]): string {
    return this.opN(opType, inputs, 1, attributes)[0];
  }

  /** One node with `outputs` outputs (Split). */
  opN(opType: string, inputs: readonly string[], outputs: number, attributes?: readonly OnnxAttribute[]): string[] {
    const id = `${opType.toLowerCase()}_${this.counter++}`;
    const names = Array.from({ length: outputs }, (_, i) => (outputs === 1 ? id : `${id}:${i}`));
    this.nodes.push({ opType, inputs, outputs: names, name: id, attributes });
    return names;
  }

  /** A named float32 weight. */
  weight(name: string, values: Float32Array, dims: readonly number[]): string {
    const size = dims.reduce((n, d) => n * d, 1);
    if (size !== values.length) throw Object.assign(new Error(`GraphBuilder: weight "${name}" has ${values.length} values for shape [${dims}]`), { code: 'INVALID_INPUT' });
    this.initializers.push({ name, dims, dataType: ONNX_FLOAT, raw: floatBytes(values) });
    return name;
  }

  /** A float scalar constant (shared between uses of the same value). */
  scalar(value: number): string {
    return this.constant(`f:${value}`, () => ({ dims: [], dataType: ONNX_FLOAT, raw: floatBytes(Float32Array.of(value)) }));
  }

  /** A float vector filled with one value (LayerNormalization's unit scale). */
  filled(value: number, length: number): string {
    return this.constant(`f${length}:${value}`, () => ({ dims: [length], dataType: ONNX_FLOAT, raw: floatBytes(new Float32Array(length).fill(value)) }));
  }

  /** An int64 vector constant (shapes, axes, permutations given as inputs). */
  ints(values: readonly number[]): string {
    return this.constant(`i:${values.join(',')}`, () => {
      const data = new BigInt64Array(values.map((v) => BigInt(v)));
      return { dims: [values.length], dataType: ONNX_INT64, raw: new Uint8Array(data.buffer) };
    });
  }

  private constant(key: string, make: () => Omit<OnnxTensor, 'name'>): string {
    const known = this.constants.get(key);
    if (known) return known;
    const name = `const_${this.constants.size}`;
    this.initializers.push({ name, ...make() });
    this.constants.set(key, name);
    return name;
  }

  /** The finished graph; `outputs` name values produced by earlier nodes. */
  build(inputs: readonly OnnxValueInfo[], outputs: readonly (OnnxValueInfo & { from: string })[]): OnnxGraph {
    // Outputs get their public names through Identity nodes, which ORT removes when optimising.
    for (const o of outputs) this.nodes.push({ opType: 'Identity', inputs: [o.from], outputs: [o.name], name: `output_${o.name}` });
    return { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs, outputs: outputs.map(({ from: _from, ...o }) => o) };
  }
}
