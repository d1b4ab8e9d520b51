// Stream names: `<category>-<id>`. The category is what the audit summary and Kafka topics group by.

export type ModelKind = 'selector' | 'policy' | 'generator';
export const MODEL_KINDS: readonly ModelKind[] = ['selector', 'policy', 'generator'];

export const streams = {
  dataset: (datasetId: string) => `dataset-${datasetId}`,
  image: (imageId: string) => `image-${imageId}`,
  task: (taskId: string) => `task-${taskId}`,
  expert: (expertId: string) => `expert-${expertId}`,
  user: (userId: string) => `user-${userId}`,
  model: (kind: ModelKind) => `model-${kind}`,
  run: (runId: string) => `run-${runId}`,
  loop: (loopId: string) => `loop-${loopId}`,
  generation: (requestId: string) => `generation-${requestId}`,
  signature: (signatureId: string) => `signature-${signatureId}`,
} as const;

export type StreamCategory = keyof typeof streams;

/** The category of a stream id: the part before the first '-' ('task-42' → 'task'). */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash < 0 ? streamId : streamId.slice(0, dash);
}

/** The id part of a stream id ('task-42' → '42'). */
export function streamIdPart(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash < 0 ? '' : streamId.slice(dash + 1);
}
