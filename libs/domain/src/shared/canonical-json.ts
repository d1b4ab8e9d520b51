/**
 * JSON with object keys sorted at every depth, so equal values always give identical bytes.
 * `undefined` members are dropped (as JSON.stringify does); non-finite numbers are refused,
 * because JSON.stringify would silently turn them into null.
 */
export function canonicalJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(sortDeep(value, '$'), null, indent);
  return text === undefined ? 'null' : text;
}

/** Alias: the same function under the name other codebases use. */
export const stableStringify = canonicalJson;

function sortDeep(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot hold`);
    return value;
  }
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value === 'bigint') throw new TypeError(`canonicalJson: ${path} is a bigint`);
  if (Array.isArray(value)) return value.map((item, i) => sortDeep(item, `${path}[${i}]`) ?? null);
  if (value instanceof Date) return value.toISOString();
  const source = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort()) {
    const item = sortDeep(source[key], `${path}.${key}`);
    if (item !== undefined) sorted[key] = item;
  }
  return sorted;
}
