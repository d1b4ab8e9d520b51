/** Flags an expert may attach to a rating (the portal shows them as toggles). */
export const RATING_FLAGS = [
  'blur',
  'uneven-illumination',
  'noise',
  'artefact',
  'not-fundus',
  'anatomically-implausible',
  'prompt-mismatch',
  'unreadable',
] as const;
