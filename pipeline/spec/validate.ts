import type { z } from 'zod';
import { SpecInvalidError, type SpecIssue } from './errors';
import { rolloutSpecSchema, type RolloutSpec } from './schema';

/**
 * Validates a parsed rollout spec and fills in defaults. Throws `SpecInvalidError` listing every
 * problem with its JSON path, the value found and what is expected.
 */
export function validateSpec(input: unknown, source?: string): RolloutSpec {
  const tooDeep = firstTooDeep(input, MAX_SPEC_DEPTH);
  if (tooDeep !== undefined) {
    throw new SpecInvalidError(
      [
        {
          path: clipPath(jsonPath(tooDeep)),
          received: undefined,
          found: `a value nested more than ${MAX_SPEC_DEPTH} levels deep`,
          expected: `at most ${MAX_SPEC_DEPTH} levels of nested objects and arrays in the whole spec`,
        },
      ],
      source,
    );
  }
  const result = rolloutSpecSchema.safeParse(input);
  if (result.success) return result.data;
  throw new SpecInvalidError(toSpecIssues(result.error.issues, input), source);
}

/**
 * How deep objects and arrays may nest in a spec. The deepest field of the schema is 5 levels down
 * (`$.smokeTests[0].expect.jsonPaths[0]`) and smoke-test bodies are model inputs; a deeper document is
 * an attack or a mistake, and validating or printing it would overflow the stack.
 */
export const MAX_SPEC_DEPTH = 64;

/** The path of the first value nested deeper than `max` (walked without recursion), or undefined. */
export function firstTooDeep(input: unknown, max: number): PropertyKey[] | undefined {
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: input, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= max) return path;
    const entries: [PropertyKey, unknown][] = Array.isArray(value)
      ? value.map((v, i): [PropertyKey, unknown] => [i, v])
      : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry !== undefined) stack.push({ value: entry[1], path: [...path, entry[0]] });
    }
  }
  return undefined;
}

function clipPath(path: string): string {
  return path.length > 80 ? `${path.slice(0, 77)}...` : path;
}

/** Parses spec text (a file's content) and validates it; JSON syntax errors are reported as issues too. */
export function parseSpec(text: string, source?: string): RolloutSpec {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SpecInvalidError(
      [{ path: '$', received: undefined, expected: `valid JSON (${(error as Error).message})` }],
      source,
    );
  }
  return validateSpec(json, source);
}

/** Turns zod issues into spec issues, one per offending field, in document order. */
export function toSpecIssues(issues: readonly z.core.$ZodIssue[], input: unknown): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const parent = valueAt(input, issue.path) as Record<string, unknown> | undefined;
      for (const key of issue.keys) {
        out.push({
          path: jsonPath([...issue.path, key]),
          received: parent?.[key],
          expected: 'no such field; remove it or check its spelling',
        });
      }
      continue;
    }
    const received = valueAt(input, issue.path);
    out.push({ path: jsonPath(issue.path), received, expected: expectedText(issue, received) });
  }
  const seen = new Set<string>();
  return out.filter((i) => {
    const key = `${i.path}\u0000${i.expected}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function expectedText(issue: z.core.$ZodIssue, received: unknown): string {
  if (issue.code === 'invalid_type' && received === undefined && !issue.message.startsWith('Invalid')) {
    return issue.message;
  }
  if (issue.message.startsWith('Invalid input'))
    return `a value of type ${String((issue as { expected?: string }).expected ?? 'valid')}`;
  return issue.message;
}

/** Renders a path as JSONPath: `$.smokeTests[0].expect.status`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = input;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}
