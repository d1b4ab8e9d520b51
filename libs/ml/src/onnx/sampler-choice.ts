import type { Generator } from '../models/generator';
import { OnnxSampler } from './onnx-sampler';
import { loadOrt, ortAvailable, samplingSessionOptions } from './ort';

// Which code runs Generator.sample: FORGE_SAMPLER=onnx|tfjs, by default onnx when onnxruntime-node
// loads. On the demo generator (batch 16, 20 DDIM steps, guidance 3, 2 threads) ORT sampled
// 3.2–3.9× faster than tfjs on wasm at load ~1 (1.4× with the cores shared by another benchmark),
// its images within 3e-5 of the tfjs loop's (models/README.md).

export type SamplerName = 'onnx' | 'tfjs';

export function samplerChoice(raw = process.env.FORGE_SAMPLER): SamplerName {
  if (raw === 'onnx' || raw === 'tfjs') return raw;
  if (raw === undefined || raw === '') return ortAvailable() ? 'onnx' : 'tfjs';
  throw Object.assign(new Error(`FORGE_SAMPLER must be 'onnx' or 'tfjs', got '${raw}'`), { code: 'INVALID_CONFIG' });
}

const samplers = new WeakMap<Generator, OnnxSampler>();
let announced: SamplerName | undefined;

function announce(name: SamplerName, detail: string): void {
  if (announced === name) return;
  announced = name;
  process.stderr.write(`ml sampler: ${name} (${detail})\n`);
}

/** The ORT sampler for this generator when FORGE_SAMPLER selects it, else undefined (Generator.sample's own tfjs loop runs). */
export function externalSampler(generator: Generator): OnnxSampler | undefined {
  const choice = samplerChoice();
  if (choice === 'tfjs') {
    announce('tfjs', process.env.FORGE_SAMPLER === 'tfjs' ? 'FORGE_SAMPLER=tfjs' : 'onnxruntime-node not installed');
    return undefined;
  }
  let sampler = samplers.get(generator);
  if (!sampler) {
    sampler = new OnnxSampler(generator);
    samplers.set(generator, sampler);
  }
  // throws ORT_UNAVAILABLE when FORGE_SAMPLER=onnx asks for a runtime that is not installed
  announce('onnx', `DiT on ${loadOrt().version}, ${samplingSessionOptions().intraOpNumThreads} threads; FORGE_SAMPLER=tfjs for the tfjs loop`);
  return sampler;
}

/** Frees the ORT sessions of this generator's sampler, if it has one (Generator.dispose calls it). */
export function releaseExternalSampler(generator: Generator): void {
  samplers.get(generator)?.release();
  samplers.delete(generator);
}
