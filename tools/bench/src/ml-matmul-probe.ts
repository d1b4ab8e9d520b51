import * as tf from '@tensorflow/tfjs-core';
import { gflops, initBackend, matMulFlops, shutdownBackend, timeStep } from '@forge/ml';

// One backend configuration per process (two wasm modules cannot share a process: stock kernels
// bind their C functions to the last module initialised). ml.bench.ts runs this file as a child:
//   argv[2] = JSON ProbeRequest; prints one JSON ProbeResult line on stdout.

export interface MatMulCase {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  /** batch, M, N, K of the product, for the operation count. */
  dims: [number, number, number, number];
}

export interface ProbeRequest {
  backend: 'wasm' | 'cpu';
  threads: number;
  kernelOverrides: boolean;
  runs: number;
  cases: MatMulCase[];
}

export interface ProbeResult {
  backend: string;
  threads: number;
  gflops: Record<string, number>;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]) as ProbeRequest;
  const info = await initBackend({ prefer: request.backend, threads: request.threads, kernelOverrides: request.kernelOverrides, log: () => undefined });
  const result: ProbeResult = { backend: info.version, threads: info.threads, gflops: {} };
  for (const c of request.cases) {
    const a = tf.randomNormal(c.a, 0, 1, 'float32', 1);
    const b = tf.randomNormal(c.b, 0, 1, 'float32', 2);
    const timing = await timeStep(() => tf.matMul(a, b, c.transposeA, c.transposeB).dispose(), { runs: request.runs, warmup: 1 });
    result.gflops[c.name] = gflops(matMulFlops(...c.dims), timing.medianMs);
    tf.dispose([a, b]);
  }
  await shutdownBackend();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
