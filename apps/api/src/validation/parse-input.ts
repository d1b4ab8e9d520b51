import { z } from 'zod/v4';
import { InvalidInputError, type FieldIssue } from '../errors/api-errors';

/** Validates untrusted input; a failure is a 400 naming each field (`where.path`) and why. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'params' = 'body'): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((i) => {
    const base = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      const keys = (i as { keys: string[] }).keys;
      return { path: keys.map((k) => (base ? `${base}.${k}` : k)).join(','), message: `unknown field(s): ${keys.join(', ')}` };
    }
    return { path: base || where, message: i.message };
  });
  throw new InvalidInputError(`invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/** The JSON schema of a request schema, for the OpenAPI document. */
export function openApiSchema(schema: z.ZodType): Record<string, any> {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** An optional free-text reason, recorded in event metadata; `fallback` is used when none is given. */
export const reasonField = z.string().trim().min(3).max(500);
