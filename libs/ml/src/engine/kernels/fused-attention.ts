import * as tf from '@tensorflow/tfjs-core';
import { getKernel, KernelFunc, registerGradient, TensorInfo } from '@tensorflow/tfjs-core';
import { registerOnWasmAndCpu } from './js-kernel';
import { nativeKernelsOn } from './native-kernels';
import { Gemm, Memory, onMemory } from './attention-memory';

// Multi-head scaled dot-product attention on projected q, k, v as one kernel, and its gradient as
// one more. As tfjs ops it is ~12 ops forward (head split and merge, two batched products, scale,
// mask, softmax) and ~25 backward; in the small models of the loop those calls, not the
// arithmetic, are the cost. Operands are first copied head-major ((B·T, D) = [B, T, H, hd] →
// [B, H, T, hd], and kᵀ / vᵀ as [B, D, T]) so that each product is one call over all B·H heads,
// which the two-thread team can split; results are copied back to (B·T, D). With a native GEMM
// (OpenBLAS, which takes leading dimensions) nothing is packed: each head's product reads and
// writes its column block of the (B·T, D) tensors in place. With the native kernels
// (native-kernels.ts) each head's products and softmax run in one C loop over its rows instead.
//
// Inputs q (B·Tq, D), k and v (B·Tk, D), optional keyMask (B, Tk) of 1 (attend) / 0 (padding);
// outputs (B·Tq, D) and the probabilities (B, H, Tq, Tk), kept for the gradient.

export const ATTENTION = 'ForgeAttention';
export const ATTENTION_GRAD = 'ForgeAttentionGrad';

export interface AttentionAttrs {
  batch: number;
  heads: number;
}

/** Masked keys get this added to their score (as the unfused ops do), i.e. probability 0. */
const MASKED = -1e9;

interface Dims {
  b: number;
  h: number;
  tq: number;
  tk: number;
  d: number;
  hd: number;
  scale: number;
}

function dimsOf(q: TensorInfo, k: TensorInfo, { batch, heads }: AttentionAttrs): Dims {
  const d = q.shape[1];
  const hd = d / heads;
  return { b: batch, h: heads, tq: q.shape[0] / batch, tk: k.shape[0] / batch, d, hd, scale: 1 / Math.sqrt(hd) };
}

/** Element offsets of the forward pass's tensors; the packed ones are scratch. */
interface ForwardAt {
  q: number;
  k: number;
  v: number;
  bias: number;
  /** Samples per bias row: 1 with a mask, B without (one row of zeros). */
  samplesPerBias: number;
  probs: number;
  out: number;
  /** Scratch, B·T·D each: q and v head-major, kᵀ per sample, the output head-major. */
  qp: number;
  kT: number;
  vp: number;
  op: number;
}

/** Calls `fn` for every (sample, head) with its index in the (B, H) order of the probabilities. */
function eachHead(x: Dims, fn: (sample: number, head: number, index: number) => void): void {
  for (let s = 0; s < x.b; s++) for (let hh = 0; hh < x.h; hh++) fn(s, hh, s * x.h + hh);
}

/** The forward pass with each head's products in place (native GEMM): scores, softmax, output. */
function forwardInPlace(gemm: Gemm, mem: Memory, x: Dims, at: ForwardAt): void {
  const { b, h, tq, tk, d, hd } = x;
  const [qRow, kRow] = [tq * d, tk * d];
  eachHead(x, (s, hh, i) => gemm(false, true, tq, tk, hd, at.q + s * qRow + hh * hd, d, at.k + s * kRow + hh * hd, d, at.probs + i * tq * tk, tk));
  mem.softmax(at.probs, at.bias, b * h * tq, tk, at.samplesPerBias * h * tq, x.scale);
  eachHead(x, (s, hh, i) => gemm(false, false, tq, hd, tk, at.probs + i * tq * tk, tk, at.v + s * kRow + hh * hd, d, at.out + s * qRow + hh * hd, d));
}

function forwardOn(mem: Memory, x: Dims, at: ForwardAt): void {
  if (mem.gemm) return forwardInPlace(mem.gemm, mem, x, at);
  const { b, h, tq, tk, d, hd } = x;
  mem.swap(at.q, at.qp, b, tq, h, hd); // (B, Tq, H, hd) -> (B, H, Tq, hd)
  mem.transpose(at.k, at.kT, b, tk, d); // (B, Tk, D) -> (B, D, Tk) = (B, H, hd, Tk)
  mem.swap(at.v, at.vp, b, tk, h, hd); // (B, H, Tk, hd)
  mem.product({ a: at.qp, b: at.kT, c: at.probs, batch: b * h, sa: tq * hd, sb: hd * tk, sc: tq * tk, m: tq, n: tk, k: hd, ars: hd, acs: 1, ldb: tk, ldc: tk });
  mem.softmax(at.probs, at.bias, b * h * tq, tk, at.samplesPerBias * h * tq, x.scale);
  mem.product({ a: at.probs, b: at.vp, c: at.op, batch: b * h, sa: tq * tk, sb: tk * hd, sc: tq * hd, m: tq, n: hd, k: tk, ars: tk, acs: 1, ldb: hd, ldc: hd });
  mem.swap(at.op, at.out, b, h, tq, hd); // (B, H, Tq, hd) -> (B, Tq, H, hd)
}

interface BackwardAt {
  dy: number;
  q: number;
  k: number;
  v: number;
  probs: number;
  dq: number;
  dk: number;
  dv: number;
  /** Scratch, B·T·D each: dy, q, k head-major, vᵀ per sample, and the three gradients head-major. */
  dyp: number;
  qp: number;
  kp: number;
  vT: number;
  dqp: number;
  dkp: number;
  dvp: number;
  /** Scratch like the probabilities: dL/dprobs, then dL/dscores in place. */
  dp: number;
}

/** The backward pass with each head's products in place (native GEMM). */
function backwardInPlace(gemm: Gemm, mem: Memory, x: Dims, at: BackwardAt): void {
  const { tq, tk, d, hd } = x;
  const [qRow, kRow, p] = [tq * d, tk * d, tq * tk];
  // dv = pᵀ·dy; dp = dy·vᵀ, then through the softmax and the scale
  eachHead(x, (s, hh, i) => gemm(true, false, tk, hd, tq, at.probs + i * p, tk, at.dy + s * qRow + hh * hd, d, at.dv + s * kRow + hh * hd, d));
  eachHead(x, (s, hh, i) => gemm(false, true, tq, tk, hd, at.dy + s * qRow + hh * hd, d, at.v + s * kRow + hh * hd, d, at.dp + i * p, tk));
  mem.softmaxGrad(at.probs, at.dp, x.b * x.h * tq, tk, x.scale);
  // dq = ds·k, dk = dsᵀ·q
  eachHead(x, (s, hh, i) => gemm(false, false, tq, hd, tk, at.dp + i * p, tk, at.k + s * kRow + hh * hd, d, at.dq + s * qRow + hh * hd, d));
  eachHead(x, (s, hh, i) => gemm(true, false, tk, hd, tq, at.dp + i * p, tk, at.q + s * qRow + hh * hd, d, at.dk + s * kRow + hh * hd, d));
}

function backwardOn(mem: Memory, x: Dims, at: BackwardAt): void {
  if (mem.gemm) return backwardInPlace(mem.gemm, mem, x, at);
  const { b, h, tq, tk, d, hd } = x;
  const heads = b * h;
  mem.swap(at.dy, at.dyp, b, tq, h, hd);
  // dv = pᵀ·dy
  mem.product({ a: at.probs, b: at.dyp, c: at.dvp, batch: heads, sa: tq * tk, sb: tq * hd, sc: tk * hd, m: tk, n: hd, k: tq, ars: 1, acs: tk, ldb: hd, ldc: hd });
  mem.swap(at.dvp, at.dv, b, h, tk, hd);
  // dp = dy·vᵀ, then through the softmax and the scale
  mem.transpose(at.v, at.vT, b, tk, d);
  mem.product({ a: at.dyp, b: at.vT, c: at.dp, batch: heads, sa: tq * hd, sb: hd * tk, sc: tq * tk, m: tq, n: tk, k: hd, ars: hd, acs: 1, ldb: tk, ldc: tk });
  mem.softmaxGrad(at.probs, at.dp, heads * tq, tk, x.scale);
  // dq = ds·k, dk = dsᵀ·q
  mem.swap(at.k, at.kp, b, tk, h, hd);
  mem.product({ a: at.dp, b: at.kp, c: at.dqp, batch: heads, sa: tq * tk, sb: tk * hd, sc: tq * hd, m: tq, n: hd, k: tk, ars: tk, acs: 1, ldb: hd, ldc: hd });
  mem.swap(at.dqp, at.dq, b, h, tq, hd);
  mem.swap(at.q, at.qp, b, tq, h, hd);
  mem.product({ a: at.dp, b: at.qp, c: at.dkp, batch: heads, sa: tq * tk, sb: tq * hd, sc: tk * hd, m: tk, n: hd, k: tq, ars: 1, acs: tk, ldb: hd, ldc: hd });
  mem.swap(at.dkp, at.dk, b, h, tk, hd);
}

const forward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { q, k, v, keyMask } = inputs as { q: TensorInfo; k: TensorInfo; v: TensorInfo; keyMask?: TensorInfo };
  const x = dimsOf(q, k, attrs as unknown as AttentionAttrs);
  const native = nativeKernelsOn(backend);
  const biasRows = keyMask ? x.b : 1;
  const ins = keyMask ? [q, k, v, keyMask] : [q, k, v];
  const [qSize, kSize] = [x.b * x.tq * x.d, x.b * x.tk * x.d];
  // The C kernels take no bias row when nothing is masked, and pack nothing.
  const scratch = native ? (keyMask ? [biasRows * x.tk] : []) : [biasRows * x.tk, qSize, kSize, kSize, qSize];
  return onMemory(backend, ins, [[x.b * x.tq, x.d], [x.b, x.h, x.tq, x.tk]], scratch, (mem, [qAt, kAt, vAt, maskAt], [out, probs], [bias, qp, kT, vp, op]) => {
    const f = mem.f32;
    if (keyMask || !native) for (let i = 0; i < biasRows * x.tk; i++) f[bias + i] = keyMask ? (1 - f[maskAt + i]) * MASKED : 0;
    if (native) native.attentionForward(f, x.b, x.h, x.tq, x.tk, x.d, x.scale, qAt, kAt, vAt, keyMask ? bias : -1, probs, out);
    else forwardOn(mem, x, { q: qAt, k: kAt, v: vAt, bias, samplesPerBias: keyMask ? 1 : x.b, probs, out, qp, kT, vp, op });
  });
};

/** Inputs dy, q, k, v, probs; outputs dq, dk, dv. */
const backward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, q, k, v, probs } = inputs as { dy: TensorInfo; q: TensorInfo; k: TensorInfo; v: TensorInfo; probs: TensorInfo };
  const x = dimsOf(q, k, attrs as unknown as AttentionAttrs);
  const [qSize, kSize] = [x.b * x.tq * x.d, x.b * x.tk * x.d];
  const native = nativeKernelsOn(backend);
  const scratch = native ? [] : [qSize, qSize, kSize, kSize, qSize, kSize, kSize, x.b * x.h * x.tq * x.tk];
  return onMemory(backend, [dy, q, k, v, probs], [[...q.shape], [...k.shape], [...v.shape]], scratch, (mem, [dyAt, qAt, kAt, vAt, probsAt], [dq, dk, dv], [dyp, qp, kp, vT, dqp, dkp, dvp, dp]) => {
    if (native) native.attentionBackward(mem.f32, x.b, x.h, x.tq, x.tk, x.d, x.scale, dyAt, qAt, kAt, vAt, probsAt, dq, dk, dv);
    else backwardOn(mem, x, { dy: dyAt, q: qAt, k: kAt, v: vAt, probs: probsAt, dq, dk, dv, dyp, qp, kp, vT, dqp, dkp, dvp, dp });
  });
};

/** Registers the kernels for wasm and cpu and the gradient (idempotent). */
export function registerFusedAttentionKernels(): void {
  registerOnWasmAndCpu({ [ATTENTION]: forward, [ATTENTION_GRAD]: backward });
  if (!tf.getGradient(ATTENTION)) {
    registerGradient({
      kernelName: ATTENTION,
      inputsToSave: ['q', 'k', 'v'],
      outputsToSave: [false, true],
      gradFunc: (dys, saved, attrs) => {
        const [q, k, v, probs] = saved;
        // Two outputs: the probabilities' gradient is not followed (the op returns only the output).
        const dy = Array.isArray(dys) ? dys[0] : dys;
        const { batch } = attrs as unknown as AttentionAttrs;
        const [dq, dk, dv] = tf.engine().runKernel(ATTENTION_GRAD, { dy, q, k, v, probs }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        return { q: () => dq, k: () => dk, v: () => dv, keyMask: () => tf.zeros([batch, k.shape[0] / batch]) };
      },
    });
  }
}

/** (B·T, D) -> (B, H, T, D/H) */
function splitHeads(x: tf.Tensor2D, batch: number, heads: number): tf.Tensor4D {
  const [bt, d] = x.shape;
  return tf.transpose(tf.reshape(x, [batch, bt / batch, heads, d / heads]), [0, 2, 1, 3]); // (B, H, T, hd)
}

/** Attention probabilities (B, H, Tq, Tk) as tfjs ops: every row sums to 1, masked keys get 0. */
export function attentionProbabilities(q: tf.Tensor2D, k: tf.Tensor2D, batch: number, heads: number, keyMask?: tf.Tensor2D): tf.Tensor4D {
  const qh = splitHeads(q, batch, heads); // (B, H, Tq, hd)
  const kh = splitHeads(k, batch, heads); // (B, H, Tk, hd)
  let scores = tf.mul(tf.matMul(qh, kh, false, true), 1 / Math.sqrt(qh.shape[3])) as tf.Tensor4D; // (B, H, Tq, Tk)
  if (keyMask) {
    const [b, tk] = keyMask.shape;
    scores = tf.add(scores, tf.reshape(tf.mul(tf.sub(1, keyMask), MASKED), [b, 1, 1, tk])); // (B, H, Tq, Tk)
  }
  return tf.softmax(scores); // (B, H, Tq, Tk)
}

/**
 * softmax(q·kᵀ/√hd + mask)·v per head, on projected (B·Tq, D) queries and (B·Tk, D) keys and
 * values, heads in consecutive column blocks: (B·Tq, D). One kernel on wasm and cpu, tfjs ops
 * elsewhere.
 */
export function multiHeadAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, batch: number, heads: number, keyMask?: tf.Tensor2D): tf.Tensor2D {
  const [rowsQ, d] = q.shape;
  const rowsK = k.shape[0];
  const fits = d % heads === 0 && rowsQ % batch === 0 && rowsK % batch === 0 && k.shape[1] === d && tf.util.arraysEqual(v.shape, k.shape);
  const maskFits = !keyMask || tf.util.arraysEqual(keyMask.shape, [batch, rowsK / batch]);
  if (!fits || !maskFits) {
    throw Object.assign(new Error(`multiHeadAttention: q ${JSON.stringify(q.shape)}, k ${JSON.stringify(k.shape)}, v ${JSON.stringify(v.shape)}${keyMask ? `, keyMask ${JSON.stringify(keyMask.shape)}` : ''} do not fit batch ${batch} and ${heads} heads`), { code: 'INVALID_INPUT' });
  }
  if (getKernel(ATTENTION, tf.getBackend()) && [q, k, v].every((t) => t.dtype === 'float32')) return fusedAttention(q, k, v, batch, heads, keyMask && keyMask.dtype !== 'float32' ? tf.cast(keyMask, 'float32') : keyMask);
  return multiHeadAttentionOps(q, k, v, batch, heads, keyMask);
}

/**
 * The kernel with its gradient as one custom-gradient op whose only output is the attention
 * output. Recorded as the two-output kernel itself, tfjs would hand the gradient a zero tensor for
 * the probabilities (which nothing differentiates), built in JS and copied into the backend: 1 MB
 * per call and ~2.4 ms of a demo DiT step.
 */
function fusedAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, batch: number, heads: number, keyMask?: tf.Tensor): tf.Tensor2D {
  const attrs = { batch, heads } as unknown as tf.NamedAttrMap;
  const run = (inputs: tf.NamedTensorMap, save: tf.GradSaveFunc) => {
    const [out, probs] = tf.engine().runKernel(ATTENTION, inputs, attrs) as tf.Tensor[];
    save([inputs.q, inputs.k, inputs.v, probs]); // kept (as shared clones) only while gradients are recorded
    probs.dispose();
    return {
      value: out as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, [sq, sk, sv, sp]: tf.Tensor[]) => {
        const grads = tf.engine().runKernel(ATTENTION_GRAD, { dy, q: sq, k: sk, v: sv, probs: sp }, attrs) as tf.Tensor[];
        return keyMask ? [...grads, tf.zeros(keyMask.shape)] : grads;
      },
    };
  };
  // customGrad passes the tensors, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b, c, m] = args.slice(0, -1) as tf.Tensor[];
    return run(m ? { q: a, k: b, v: c, keyMask: m } : { q: a, k: b, v: c }, args[args.length - 1] as tf.GradSaveFunc);
  });
  return (keyMask ? op(q, k, v, keyMask) : op(q, k, v)) as tf.Tensor2D;
}

/** multiHeadAttention as tfjs ops (the path on backends without the kernel, and the benchmark's baseline). */
export function multiHeadAttentionOps(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, batch: number, heads: number, keyMask?: tf.Tensor2D): tf.Tensor2D {
  const probs = attentionProbabilities(q, k, batch, heads, keyMask); // (B, H, Tq, Tk)
  const out = tf.matMul(probs, splitHeads(v, batch, heads)) as tf.Tensor4D; // (B, H, Tq, hd)
  const [b, h, t, hd] = out.shape;
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [b * t, h * hd]); // (B·Tq, D)
}
