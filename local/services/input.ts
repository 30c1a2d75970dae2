import { AwsError } from '../protocol/errors';

/**
 * Typed reads of awsJson request fields. SDK clients and the AWS CLI send well-typed members, so a
 * wrong type means a hand-made request; it gets the SerializationException AWS gives for a body that
 * does not match the operation's shape.
 */

type Input = Readonly<Record<string, unknown>>;

function wrongType(field: string, expected: string, value: unknown): AwsError {
  return new AwsError(
    'SerializationException',
    `Field ${field} must be ${expected}; got ${JSON.stringify(value)?.slice(0, 100) ?? String(value)}.`,
  );
}

/** A string member, or undefined when absent or null. */
export function optionalString(input: Input, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(field, 'a string', value);
  return value;
}

/** A number member, or undefined when absent or null (awsJson timestamps are numbers too: epoch seconds). */
export function optionalNumber(input: Input, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType(field, 'a number', value);
  return value;
}

/** A boolean member, or undefined when absent or null. */
export function optionalBoolean(input: Input, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw wrongType(field, 'a boolean', value);
  return value;
}

/** A list member, or undefined when absent or null. */
export function optionalList(input: Input, field: string): readonly unknown[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(field, 'a list', value);
  return value as unknown[];
}

/** A structure or map member, or undefined when absent or null. */
export function optionalObject(input: Input, field: string): Readonly<Record<string, unknown>> | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(field, 'a structure', value);
  return value as Record<string, unknown>;
}

/** A map of strings (e.g. a container's Environment), or undefined when absent. */
export function optionalStringMap(input: Input, field: string): Readonly<Record<string, string>> | undefined {
  const value = optionalObject(input, field);
  if (value === undefined) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw wrongType(`${field}.${k}`, 'a string', v);
  }
  return value as Record<string, string>;
}

/** Each element of a list of structures, as input records. */
export function objectList(input: Input, field: string): readonly Input[] {
  return (optionalList(input, field) ?? []).map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw wrongType(`${field}[${i}]`, 'a structure', item);
    }
    return item as Input;
  });
}

/** Date of an awsJson timestamp member (epoch seconds), or undefined. */
export function optionalEpochSeconds(input: Input, field: string): number | undefined {
  const seconds = optionalNumber(input, field);
  return seconds === undefined ? undefined : seconds * 1000;
}
