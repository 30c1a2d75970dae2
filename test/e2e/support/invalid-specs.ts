import fc from 'fast-check';
import { HF_TASKS } from '../../../pipeline/spec/schema';
import { exampleSpec } from './specs';

/**
 * Invalid rollout specs for property-based tests: the valid example spec with one mutation at a known
 * place, so a test can demand that the error names exactly that JSON path.
 */

/** One key of a JSON path: an object member or an array index. */
type Key = string | number;

/** An invalid spec and the JSON path its problem is at. */
export interface InvalidSpec {
  readonly spec: unknown;
  /** JSONPath of the offending field, e.g. `$.smokeTests[0].expect.status`. */
  readonly path: string;
  /** Which kind of mutation made it invalid (for failure messages). */
  readonly kind: string;
}

/** Renders a path as the spec errors do: `$.a.b[0]`, `$.a["not an identifier"]`. */
export function renderPath(path: readonly Key[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return /^[A-Za-z_$][\w$]*$/.test(key) ? `${out}.${key}` : `${out}[${JSON.stringify(key)}]`;
  }, '$');
}

/** A copy of the example spec with `mutate` applied at `path`; missing parent objects are added (e.g. `healthCheck`). */
function mutated(path: readonly Key[], mutate: (parent: Record<Key, unknown>, key: Key) => void): unknown {
  const spec = exampleSpec() as unknown as Record<Key, unknown>;
  let parent: Record<Key, unknown> = spec;
  for (const key of path.slice(0, -1)) {
    if (parent[key] === undefined) parent[key] = {};
    const next = parent[key];
    if (next === null || typeof next !== 'object') {
      throw new Error(`invalid-specs: ${renderPath(path)} has no parent in the example spec`);
    }
    parent = next as Record<Key, unknown>;
  }
  const last = path[path.length - 1];
  if (last === undefined) throw new Error('invalid-specs: empty path');
  mutate(parent, last);
  return spec;
}

const set = (path: readonly Key[], value: unknown, kind: string): InvalidSpec => ({
  spec: mutated(path, (parent, key) => {
    parent[key] = value;
  }),
  path: renderPath(path),
  kind,
});

type JsonType = 'string' | 'number' | 'boolean' | 'object' | 'array';

/** Typed fields of the spec (paths that exist in examples/sentiment.json, or optional ones). */
const TYPED_FIELDS: readonly { readonly path: readonly Key[]; readonly type: JsonType }[] = [
  { path: ['$schema'], type: 'string' },
  { path: ['service'], type: 'string' },
  { path: ['description'], type: 'string' },
  { path: ['model'], type: 'object' },
  { path: ['model', 'id'], type: 'string' },
  { path: ['model', 'task'], type: 'string' },
  { path: ['model', 'revision'], type: 'string' },
  { path: ['model', 'image'], type: 'object' },
  { path: ['model', 'image', 'transformers'], type: 'string' },
  { path: ['model', 'image', 'pytorch'], type: 'string' },
  { path: ['model', 'image', 'python'], type: 'string' },
  { path: ['model', 'image', 'device'], type: 'string' },
  { path: ['model', 'executionRoleArn'], type: 'string' },
  { path: ['endpoint'], type: 'object' },
  { path: ['endpoint', 'type'], type: 'string' },
  { path: ['endpoint', 'instanceType'], type: 'string' },
  { path: ['endpoint', 'initialInstanceCount'], type: 'number' },
  { path: ['smokeTests'], type: 'array' },
  ...[0, 1, 2].flatMap((i): { path: Key[]; type: JsonType }[] => [
    { path: ['smokeTests', i], type: 'object' },
    { path: ['smokeTests', i, 'name'], type: 'string' },
    { path: ['smokeTests', i, 'contentType'], type: 'string' },
    { path: ['smokeTests', i, 'accept'], type: 'string' },
    { path: ['smokeTests', i, 'expect'], type: 'object' },
    { path: ['smokeTests', i, 'expect', 'status'], type: 'number' },
    { path: ['smokeTests', i, 'expect', 'jsonPaths'], type: 'array' },
    { path: ['smokeTests', i, 'expect', 'labels'], type: 'array' },
    { path: ['smokeTests', i, 'expect', 'maxLatencyMs'], type: 'number' },
  ]),
  ...[0, 1].flatMap((j): { path: Key[]; type: JsonType }[] => [
    { path: ['smokeTests', 0, 'expect', 'jsonPaths', j], type: 'object' },
    { path: ['smokeTests', 0, 'expect', 'jsonPaths', j, 'path'], type: 'string' },
    { path: ['smokeTests', 0, 'expect', 'jsonPaths', j, 'matches'], type: 'string' },
    { path: ['smokeTests', 0, 'expect', 'jsonPaths', j, 'exists'], type: 'boolean' },
    { path: ['smokeTests', 0, 'expect', 'jsonPaths', j, 'min'], type: 'number' },
    { path: ['smokeTests', 0, 'expect', 'jsonPaths', j, 'max'], type: 'number' },
    { path: ['smokeTests', 0, 'expect', 'jsonPaths', j, 'oneOf'], type: 'array' },
  ]),
  { path: ['rollout'], type: 'object' },
  { path: ['rollout', 'pollIntervalSeconds'], type: 'number' },
  { path: ['rollout', 'maxWaitMinutes'], type: 'number' },
  { path: ['rollout', 'keepPreviousEndpoints'], type: 'number' },
  { path: ['rollout', 'verifyPublicUrl'], type: 'boolean' },
  { path: ['healthCheck'], type: 'object' },
  { path: ['healthCheck', 'autoRollback'], type: 'boolean' },
  { path: ['healthCheck', 'failuresBeforeRollback'], type: 'number' },
];

function jsonType(value: unknown): JsonType | 'null' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonType;
}

const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -1000, max: 100_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);

/** A field given a value of another JSON type (null included). */
const wrongType: fc.Arbitrary<InvalidSpec> = fc
  .tuple(fc.constantFrom(...TYPED_FIELDS), anyJson)
  .filter(([field, value]) => jsonType(value) !== field.type)
  .map(([field, value]) => set(field.path, value, `wrong type (${jsonType(value)} for ${field.type})`));

/** Whole numbers with their allowed range. */
const RANGED_FIELDS: readonly {
  readonly path: readonly Key[];
  readonly min: number;
  readonly max: number;
}[] = [
  { path: ['endpoint', 'initialInstanceCount'], min: 1, max: 10 },
  ...[0, 1, 2].flatMap((i) => [
    { path: ['smokeTests', i, 'expect', 'status'], min: 100, max: 599 },
    { path: ['smokeTests', i, 'expect', 'maxLatencyMs'], min: 1, max: 60_000 },
  ]),
  { path: ['rollout', 'pollIntervalSeconds'], min: 5, max: 300 },
  { path: ['rollout', 'maxWaitMinutes'], min: 1, max: 180 },
  { path: ['rollout', 'keepPreviousEndpoints'], min: 0, max: 5 },
  { path: ['healthCheck', 'failuresBeforeRollback'], min: 1, max: 20 },
];

/** A number below the minimum, above the maximum, or a fraction within the range. */
const outOfRange: fc.Arbitrary<InvalidSpec> = fc.constantFrom(...RANGED_FIELDS).chain((field) =>
  fc
    .oneof(
      fc.integer({ min: -1_000_000, max: field.min - 1 }),
      fc.integer({ min: field.max + 1, max: 1_000_000_000 }),
      fc.double({ min: field.min, max: field.max, noNaN: true }).filter((n) => !Number.isInteger(n)),
    )
    .map((value) => set(field.path, value, `out of range (${value})`)),
);

/** Strings of the right type that break a field's pattern, length or enumeration. */
const badString: fc.Arbitrary<InvalidSpec> = fc.oneof(
  fc
    .string({ maxLength: 20 })
    .filter((s) => !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(s))
    .map((s) => set(['service'], s, 'service name pattern')),
  fc.stringMatching(/^[a-z]{21,40}$/).map((s) => set(['service'], s, 'service name too long')),
  fc
    .string({ maxLength: 40 })
    .filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/.test(s))
    .map((s) => set(['model', 'id'], s, 'model id pattern')),
  fc.stringMatching(/^[a-z]{97,120}$/).map((s) => set(['model', 'id'], s, 'model id too long')),
  fc
    .stringMatching(/^[a-z-]{1,30}$/)
    .filter((s) => !s.startsWith('translation'))
    .filter((s) => !KNOWN_TASKS.has(s))
    .map((s) => set(['model', 'task'], s, 'unknown task')),
  fc
    .string({ maxLength: 20 })
    .filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/.test(s))
    .map((s) => set(['model', 'revision'], s, 'revision pattern')),
  fc.constantFrom('transformers', 'pytorch').chain((key) =>
    fc
      .string({ maxLength: 10 })
      .filter((s) => !/^\d+\.\d+\.\d+$/.test(s))
      .map((s) => set(['model', 'image', key], s, `${key} version pattern`)),
  ),
  fc
    .string({ maxLength: 8 })
    .filter((s) => !/^py3\d{1,2}$/.test(s))
    .map((s) => set(['model', 'image', 'python'], s, 'python tag pattern')),
  fc
    .string({ maxLength: 8 })
    .filter((s) => s !== 'cpu' && s !== 'gpu')
    .map((s) => set(['model', 'image', 'device'], s, 'device enumeration')),
  fc
    .string({ maxLength: 30 })
    .filter((s) => !/^arn:aws[a-z-]*:iam::\d{12}:role\//.test(s))
    .map((s) => set(['model', 'executionRoleArn'], s, 'role ARN pattern')),
  fc
    .string({ maxLength: 20 })
    .filter((s) => !/^ml\.[a-z0-9-]+\.[a-z0-9]+$/.test(s))
    .map((s) => set(['endpoint', 'instanceType'], s, 'instance type pattern')),
  fc
    .string({ maxLength: 10 })
    .filter((s) => s !== 'realtime' && s !== 'serverless')
    .map((s) => set(['endpoint', 'type'], s, 'endpoint type enumeration')),
  fc
    .tuple(fc.constantFrom(0, 1, 2), fc.string({ maxLength: 70 }))
    .filter(([, s]) => !/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$/.test(s))
    .map(([i, s]) => set(['smokeTests', i, 'name'], s, 'smoke test name pattern')),
  fc
    .tuple(fc.constantFrom(0, 1, 2), fc.constantFrom('contentType', 'accept'), fc.string({ maxLength: 20 }))
    .filter(([, , s]) => !s.includes('/'))
    .map(([i, key, s]) => set(['smokeTests', i, key], s, `${key} pattern`)),
  fc
    .tuple(fc.constantFrom(0, 1), fc.string({ maxLength: 20 }))
    .filter(([, s]) => !s.startsWith('$'))
    .map(([j, s]) => set(['smokeTests', 0, 'expect', 'jsonPaths', j, 'path'], s, 'JSONPath without $')),
  fc
    .tuple(fc.constantFrom(0, 1), fc.constantFrom('(', '[a-', '*', 'a{2,1}', '(?<n>a', '\\'))
    .map(([j, s]) =>
      set(['smokeTests', 0, 'expect', 'jsonPaths', j, 'matches'], s, 'invalid regular expression'),
    ),
  fc.stringMatching(/^[a-z ]{257,300}$/).map((s) => set(['description'], s, 'description too long')),
);

const KNOWN_TASKS: ReadonlySet<string> = new Set(HF_TASKS);

/** Objects of the spec and the members they know. */
const OBJECTS: readonly { readonly path: readonly Key[]; readonly known: readonly string[] }[] = [
  {
    path: [],
    known: ['$schema', 'service', 'description', 'model', 'endpoint', 'smokeTests', 'rollout', 'healthCheck'],
  },
  { path: ['model'], known: ['id', 'task', 'revision', 'image', 'env', 'executionRoleArn'] },
  { path: ['model', 'image'], known: ['uri', 'transformers', 'pytorch', 'python', 'device'] },
  { path: ['endpoint'], known: ['type', 'instanceType', 'initialInstanceCount'] },
  ...[0, 1, 2].flatMap((i) => [
    { path: ['smokeTests', i], known: ['name', 'body', 'contentType', 'accept', 'expect'] },
    { path: ['smokeTests', i, 'expect'], known: ['status', 'jsonPaths', 'labels', 'maxLatencyMs'] },
  ]),
  {
    path: ['smokeTests', 0, 'expect', 'jsonPaths', 0],
    known: ['path', 'equals', 'oneOf', 'matches', 'exists', 'min', 'max'],
  },
  {
    path: ['rollout'],
    known: ['pollIntervalSeconds', 'maxWaitMinutes', 'keepPreviousEndpoints', 'verifyPublicUrl'],
  },
  { path: ['healthCheck'], known: ['autoRollback', 'failuresBeforeRollback'] },
];

/** A member no object of the spec knows (often a near miss of a real one). */
const unknownField: fc.Arbitrary<InvalidSpec> = fc
  .tuple(
    fc.constantFrom(...OBJECTS),
    fc.oneof(
      fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/),
      fc.constantFrom(
        'Service',
        'modelId',
        'instance_type',
        'smoketests',
        'timeout',
        'kind',
        'with space',
        'a.b',
      ),
    ),
    anyJson,
  )
  .filter(([object, key]) => !object.known.includes(key) && key !== '__proto__')
  .map(([object, key, value]) => ({
    spec: mutated([...object.path, key], (parent, k) => {
      Object.defineProperty(parent, k, { value, enumerable: true, writable: true, configurable: true });
    }),
    path: renderPath([...object.path, key]),
    kind: `unknown field ${JSON.stringify(key)}`,
  }));

/** Required members, removed. */
const REQUIRED: readonly (readonly Key[])[] = [
  ['service'],
  ['model'],
  ['model', 'id'],
  ['model', 'task'],
  ['smokeTests'],
  ...[0, 1, 2].flatMap((i) => [
    ['smokeTests', i, 'name'],
    ['smokeTests', i, 'body'],
  ]),
  ['smokeTests', 0, 'expect', 'jsonPaths', 0, 'path'],
];

const missingField: fc.Arbitrary<InvalidSpec> = fc.constantFrom(...REQUIRED).map((path) => ({
  spec: mutated(path, (parent, key) => {
    delete parent[key];
  }),
  path: renderPath(path),
  kind: 'missing required field',
}));

/** Rules across fields: counts, duplicates, reserved names, consistency. */
const crossField: fc.Arbitrary<InvalidSpec> = fc.oneof(
  fc.integer({ min: 101, max: 130 }).map((n) =>
    set(
      ['smokeTests'],
      Array.from({ length: n }, (_, i) => ({ name: `test ${i}`, body: { inputs: `text ${i}` } })),
      `${n} smoke tests`,
    ),
  ),
  fc.constant(set(['smokeTests'], [], 'no smoke tests')),
  fc
    .tuple(fc.constantFrom(0, 1), fc.constantFrom(1, 2))
    .filter(([a, b]) => a < b)
    .map(([first, second]) => {
      const spec = exampleSpec();
      const name = spec.smokeTests[first]?.name;
      const duplicate = spec.smokeTests[second];
      if (duplicate !== undefined) duplicate.name = name;
      return { spec, path: renderPath(['smokeTests', second, 'name']), kind: 'duplicate smoke test name' };
    }),
  fc
    .tuple(fc.constantFrom('HF_MODEL_ID', 'HF_TASK', 'HF_MODEL_REVISION'), fc.string({ maxLength: 10 }))
    .map(([key, value]) => ({
      spec: mutated(['model', 'env'], (model) => {
        model.env = { [key]: value };
      }),
      path: renderPath(['model', 'env', key]),
      kind: `reserved variable ${key}`,
    })),
  fc.integer({ min: 61, max: 300 }).map((poll) => ({
    spec: mutated(['rollout', 'maxWaitMinutes'], (rollout) => {
      rollout.maxWaitMinutes = 1;
      rollout.pollIntervalSeconds = poll;
    }),
    path: renderPath(['rollout', 'maxWaitMinutes']),
    kind: `maximum wait shorter than the poll interval (${poll} s)`,
  })),
  fc.integer({ min: 33, max: 40 }).map((n) =>
    set(
      ['smokeTests', 0, 'expect', 'jsonPaths'],
      Array.from({ length: n }, () => ({ path: '$[0].label', exists: true })),
      `${n} JSONPath checks`,
    ),
  ),
  fc
    .constantFrom(0, 1)
    .map((j) =>
      set(['smokeTests', 0, 'expect', 'jsonPaths', j], { path: '$[0].label' }, 'check without assertion'),
    ),
  fc.constant(set(['smokeTests', 0, 'expect', 'labels'], [], 'empty labels')),
  // Fields the serving stack cannot grant (another image to pull, another role to pass): refused by name.
  fc.constant({
    ...set(
      ['model', 'image'],
      {
        uri: '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.6.0',
        transformers: '4.49.0',
      },
      'image URI and versions',
    ),
    path: renderPath(['model', 'image', 'uri']),
  }),
  fc.constant(
    set(
      ['model', 'image', 'uri'],
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-image:1',
      'image URI the SageMaker role cannot pull',
    ),
  ),
  fc.constant(
    set(
      ['model', 'executionRoleArn'],
      'arn:aws:iam::123456789012:role/CustomSageMakerRole',
      'execution role the pipeline cannot pass',
    ),
  ),
  fc.constantFrom(1000, 4000, 8192, 10_240).map((memorySizeMb) => ({
    spec: mutated(['endpoint'], (spec) => {
      spec.endpoint = { type: 'serverless', memorySizeMb };
    }),
    path: renderPath(['endpoint', 'memorySizeMb']),
    kind: `serverless memory ${memorySizeMb}`,
  })),
  fc
    .integer({ min: 65, max: 80 })
    .map((n) =>
      set(
        ['model', 'env'],
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`VAR_${i}`, 'x'])),
        `${n} environment variables`,
      ),
    ),
  fc
    .constantFrom(0, 1, 2)
    .map((i) => set(['smokeTests', i, 'body'], { inputs: 'x'.repeat(70_000) }, 'body over 64 KiB')),
);

/** Any invalid spec, with the path its problem is at. */
export const invalidSpec: fc.Arbitrary<InvalidSpec> = fc.oneof(
  { arbitrary: wrongType, weight: 4 },
  { arbitrary: outOfRange, weight: 3 },
  { arbitrary: badString, weight: 4 },
  { arbitrary: unknownField, weight: 3 },
  { arbitrary: missingField, weight: 2 },
  { arbitrary: crossField, weight: 2 },
);
