import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { SPEC_DEFAULTS, SPEC_LIMITS } from './defaults';

/**
 * The rollout spec: one JSON file that says which HuggingFace model to serve, on what, and how to prove
 * it works before the API switches to it. Each schema's error text is the "expected" half of a message
 * that names the field (see validate.ts).
 */

/** Pipeline tasks the HuggingFace inference toolkit serves (transformers pipelines and its own). */
export const HF_TASKS = [
  'audio-classification',
  'automatic-speech-recognition',
  'conversational',
  'depth-estimation',
  'document-question-answering',
  'feature-extraction',
  'fill-mask',
  'image-classification',
  'image-feature-extraction',
  'image-segmentation',
  'image-to-image',
  'image-to-text',
  'mask-generation',
  'ner',
  'object-detection',
  'question-answering',
  'sentence-embeddings',
  'sentence-ranking',
  'sentence-similarity',
  'sentiment-analysis',
  'summarization',
  'table-question-answering',
  'text-classification',
  'text-generation',
  'text-to-audio',
  'text2text-generation',
  'token-classification',
  'translation',
  'video-classification',
  'visual-question-answering',
  'zero-shot-audio-classification',
  'zero-shot-classification',
  'zero-shot-image-classification',
  'zero-shot-object-detection',
] as const;

/** Memory sizes SageMaker Serverless Inference accepts. */
export const SERVERLESS_MEMORY_SIZES_MB = [1024, 2048, 3072, 4096, 5120, 6144] as const;

/** Environment variables the rollout sets itself from `model`; the spec may not set them in `model.env`. */
export const RESERVED_MODEL_ENV = ['HF_MODEL_ID', 'HF_TASK', 'HF_MODEL_REVISION'] as const;

const SERVICE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const HF_MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;
const TRANSLATION_TASK = /^translation_[a-z]{2,3}_to_[a-z]{2,3}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9]+$/;

const TASK_EXPECTED = `a HuggingFace pipeline task (one of ${HF_TASKS.join(', ')}, or translation_xx_to_yy)`;
const task = z
  .string({ error: TASK_EXPECTED })
  .refine((t) => (HF_TASKS as readonly string[]).includes(t) || TRANSLATION_TASK.test(t), {
    error: (issue) => {
      const near = typeof issue.input === 'string' ? closest(issue.input, [...HF_TASKS]) : undefined;
      return near !== undefined && distance(near, issue.input as string) <= 3
        ? `"${near}" (did you mean it?)`
        : TASK_EXPECTED;
    },
  });

/**
 * A field the schema names only to refuse it with a reason, rather than "no such field". The spec
 * reaches AWS through the serving stack's grants, so a value those grants cannot serve is refused here,
 * in `rollout validate`/`plan` and in Validate Spec alike (locally too: one code path), instead of
 * failing at CreateModel or, worse, at endpoint creation after minutes of waiting.
 */
function refused(
  expected: string,
): z.ZodOptional<z.ZodPipe<z.ZodUnknown, z.ZodTransform<undefined, unknown>>> {
  return z
    .unknown()
    .refine(() => false, { error: expected })
    .transform((): undefined => undefined)
    .optional();
}

const IMAGE_EXPECTED = 'DLC versions {"transformers", "pytorch", "python", "device"}';
const image = z
  .strictObject(
    {
      uri: refused(
        'no image URI: the SageMaker role the serving stack creates may pull only the HuggingFace DLC ' +
          'repository huggingface-pytorch-inference. Remove model.image.uri and give DLC versions ' +
          '{"transformers", "pytorch", "python", "device"} instead, or leave model.image out for the default',
      ),
      transformers: z
        .string({ error: 'a transformers version string such as "4.49.0"' })
        .regex(/^\d+\.\d+\.\d+$/, { error: 'a transformers version such as "4.49.0"' })
        .optional(),
      pytorch: z
        .string({ error: 'a PyTorch version string such as "2.6.0"' })
        .regex(/^\d+\.\d+\.\d+$/, { error: 'a PyTorch version such as "2.6.0"' })
        .optional(),
      python: z
        .string({ error: 'a Python tag such as "py312"' })
        .regex(/^py3\d{1,2}$/, { error: 'a Python tag such as "py312"' })
        .optional(),
      device: z.enum(['cpu', 'gpu'], { error: '"cpu" or "gpu"' }).optional(),
    },
    { error: IMAGE_EXPECTED },
  )
  .transform((i): ImageChoice => ({
    transformers: i.transformers ?? SPEC_DEFAULTS.image.transformers,
    pytorch: i.pytorch ?? SPEC_DEFAULTS.image.pytorch,
    python: i.python ?? SPEC_DEFAULTS.image.python,
    device: i.device ?? SPEC_DEFAULTS.image.device,
  }));

/** Container image: DLC versions resolved per region (see image-uri.ts). */
export interface ImageChoice {
  readonly transformers: string;
  readonly pytorch: string;
  readonly python: string;
  readonly device: 'cpu' | 'gpu';
}

const modelEnv = z
  .record(
    z.string().regex(ENV_NAME, { error: 'an environment variable name (letters, digits, underscores)' }),
    z.string({ error: 'a string value' }).max(1024, { error: 'a value of at most 1024 characters' }),
    { error: 'an object of environment variables, e.g. {"HF_API_TOKEN": "..."}' },
  )
  .refine((env) => Object.keys(env).length <= 64, { error: 'at most 64 variables' })
  .default({});

const model = z.strictObject(
  {
    id: z
      .string({
        error: 'a HuggingFace model id such as "distilbert/distilbert-base-uncased-finetuned-sst-2-english"',
      })
      .max(96, { error: 'a model id of at most 96 characters' })
      .regex(HF_MODEL_ID, { error: 'a HuggingFace model id such as "org/model-name"' }),
    task,
    revision: z
      .string({ error: 'a model revision (commit sha, tag or branch)' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/, { error: 'a revision such as "main" or a commit sha' })
      .default(SPEC_DEFAULTS.modelRevision),
    image: image.default(() => ({ ...SPEC_DEFAULTS.image })),
    env: modelEnv,
    executionRoleArn: refused(
      "no execution role override: the pipeline may pass only the SageMaker role of the service's serving " +
        'stack (iam:PassRole grants no other). Remove model.executionRoleArn to use that role',
    ),
  },
  {
    error:
      'the model to serve, e.g. {"id": "distilbert/distilbert-base-uncased-finetuned-sst-2-english", "task": "text-classification"}',
  },
);

const realtimeEndpoint = z.strictObject({
  type: z.literal('realtime').default('realtime'),
  instanceType: z
    .string({ error: 'a SageMaker instance type such as "ml.m5.xlarge"' })
    .regex(INSTANCE_TYPE, { error: 'a SageMaker instance type such as "ml.m5.xlarge"' })
    .default(SPEC_DEFAULTS.endpoint.instanceType),
  initialInstanceCount: z
    .number({ error: 'a whole number of instances' })
    .int({ error: 'a whole number of instances' })
    .min(1, { error: 'at least 1 instance' })
    .max(10, { error: 'at most 10 instances' })
    .default(SPEC_DEFAULTS.endpoint.initialInstanceCount),
});

const serverlessEndpoint = z.strictObject({
  type: z.literal('serverless'),
  memorySizeMb: z
    .number({ error: `one of ${SERVERLESS_MEMORY_SIZES_MB.join(', ')} (MB)` })
    .refine((n) => (SERVERLESS_MEMORY_SIZES_MB as readonly number[]).includes(n), {
      error: `one of ${SERVERLESS_MEMORY_SIZES_MB.join(', ')} (MB)`,
    })
    .default(SPEC_DEFAULTS.serverless.memorySizeMb),
  maxConcurrency: z
    .number({ error: 'a whole number from 1 to 200' })
    .int({ error: 'a whole number from 1 to 200' })
    .min(1, { error: 'at least 1' })
    .max(200, { error: 'at most 200' })
    .default(SPEC_DEFAULTS.serverless.maxConcurrency),
});

const endpoint = z
  .discriminatedUnion('type', [realtimeEndpoint, serverlessEndpoint], {
    error:
      '"type": "realtime" (with instanceType, initialInstanceCount) or "serverless" (with memorySizeMb, maxConcurrency)',
  })
  .default(() => ({ type: 'realtime' as const, ...SPEC_DEFAULTS.endpoint }));

const jsonPathCheck = z
  .strictObject({
    path: z
      .string({ error: 'a JSONPath such as "$[0].label"' })
      .regex(/^\$/, { error: 'a JSONPath starting with "$", such as "$[0].label"' })
      .max(256, { error: 'a JSONPath of at most 256 characters' }),
    equals: z.unknown().optional(),
    oneOf: z
      .array(z.unknown(), { error: 'an array of allowed values' })
      .min(1, { error: 'at least one value' })
      .optional(),
    matches: z
      .string({ error: 'a regular expression' })
      .refine(isRegExp, { error: 'a valid regular expression' })
      .optional(),
    exists: z.boolean({ error: 'true or false' }).optional(),
    min: z.number({ error: 'a number' }).optional(),
    max: z.number({ error: 'a number' }).optional(),
  })
  .refine((c) => ['equals', 'oneOf', 'matches', 'exists', 'min', 'max'].some((k) => k in c), {
    error: 'a check with at least one of "equals", "oneOf", "matches", "exists", "min", "max"',
  });

const smokeTest = z.strictObject({
  name: z.string({ error: 'a name for the smoke test' }).regex(/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$/, {
    error: 'a name of 1-64 letters, digits, spaces or _.:-',
  }),
  body: z
    .unknown()
    // abort: without a body the size check below has nothing to measure (JSON.stringify gives undefined).
    .refine((b) => b !== undefined, {
      error: 'the request body, e.g. {"inputs": "I love this"}',
      abort: true,
    })
    .refine((b) => jsonBytes(b) <= SPEC_LIMITS.maxSmokeBodyBytes, {
      error: (issue) =>
        `a body of at most ${SPEC_LIMITS.maxSmokeBodyBytes / 1024} KiB as JSON (this one is ${jsonBytes(issue.input)} bytes)`,
    }),
  contentType: z
    .string({ error: 'a content type such as "application/json"' })
    .regex(/^[\w.+-]+\/[\w.+-]+(;.*)?$/, { error: 'a content type such as "application/json"' })
    .default(SPEC_DEFAULTS.smokeTest.contentType),
  accept: z
    .string({ error: 'an accept type such as "application/json"' })
    .regex(/^[\w.+*-]+\/[\w.+*-]+(;.*)?$/, { error: 'an accept type such as "application/json"' })
    .default(SPEC_DEFAULTS.smokeTest.accept),
  expect: z
    .strictObject({
      status: z
        .number({ error: 'an HTTP status code' })
        .int({ error: 'an HTTP status code' })
        .min(100, { error: 'an HTTP status code (100-599)' })
        .max(599, { error: 'an HTTP status code (100-599)' })
        .default(SPEC_DEFAULTS.smokeTest.status),
      jsonPaths: z
        .array(jsonPathCheck, { error: 'an array of JSONPath checks' })
        .max(32, { error: 'at most 32 checks' })
        .default([]),
      labels: z
        .array(z.string({ error: 'a label string' }), {
          error: 'an array of the labels the model may answer',
        })
        .min(1, { error: 'at least one label' })
        .optional(),
      maxLatencyMs: z
        .number({ error: 'a latency budget in milliseconds' })
        .int({ error: 'a whole number of milliseconds' })
        .min(1, { error: 'at least 1 ms' })
        .max(60000, { error: 'at most 60000 ms (InvokeEndpoint times out at 60 s)' })
        .default(SPEC_DEFAULTS.smokeTest.maxLatencyMs),
    })
    .default(() => ({
      status: SPEC_DEFAULTS.smokeTest.status,
      jsonPaths: [],
      maxLatencyMs: SPEC_DEFAULTS.smokeTest.maxLatencyMs,
    })),
});

const rollout = z
  .strictObject({
    pollIntervalSeconds: z
      .number({ error: 'a number of seconds between endpoint status checks' })
      .int({ error: 'a whole number of seconds' })
      .min(5, { error: 'at least 5 seconds' })
      .max(300, { error: 'at most 300 seconds' })
      .default(SPEC_DEFAULTS.rollout.pollIntervalSeconds),
    maxWaitMinutes: z
      .number({ error: 'a number of minutes to wait for InService' })
      .int({ error: 'a whole number of minutes' })
      .min(1, { error: 'at least 1 minute' })
      .max(180, { error: 'at most 180 minutes' })
      .default(SPEC_DEFAULTS.rollout.maxWaitMinutes),
    keepPreviousEndpoints: z
      .number({ error: 'how many previous endpoints to keep for instant rollback' })
      .int({ error: 'a whole number' })
      .min(0, { error: 'at least 0' })
      .max(5, { error: 'at most 5' })
      .default(SPEC_DEFAULTS.rollout.keepPreviousEndpoints),
    verifyPublicUrl: z.boolean({ error: 'true or false' }).default(SPEC_DEFAULTS.rollout.verifyPublicUrl),
  })
  .default(() => ({ ...SPEC_DEFAULTS.rollout }));

const healthCheck = z
  .strictObject({
    autoRollback: z.boolean({ error: 'true or false' }).default(SPEC_DEFAULTS.healthCheck.autoRollback),
    failuresBeforeRollback: z
      .number({ error: 'a number of consecutive failed health checks' })
      .int({ error: 'a whole number' })
      .min(1, { error: 'at least 1' })
      .max(20, { error: 'at most 20' })
      .default(SPEC_DEFAULTS.healthCheck.failuresBeforeRollback),
  })
  .default(() => ({ ...SPEC_DEFAULTS.healthCheck }));

/** The rollout spec as written by a user (before defaults). */
export const rolloutSpecSchema = z
  .strictObject({
    $schema: z.string().optional(),
    service: z
      .string({ error: 'a service name such as "sentiment"' })
      .max(20, { error: 'a service name of at most 20 characters (it prefixes every resource name)' })
      .regex(SERVICE_NAME, {
        error: 'a lowercase service name such as "sentiment" (letters, digits, single hyphens)',
      }),
    description: z
      .string({ error: 'a short description' })
      .max(256, { error: 'at most 256 characters' })
      .optional(),
    model,
    endpoint,
    smokeTests: z
      .array(smokeTest, { error: 'an array of smoke tests' })
      .min(1, {
        error: 'at least one smoke test (a rollout must prove the model answers before the API switches)',
      })
      .max(100, { error: 'at most 100 smoke tests' }),
    rollout,
    healthCheck,
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.smokeTests.forEach((t, i) => {
      if (seen.has(t.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['smokeTests', i, 'name'],
          input: t.name,
          message: 'a name not used by another smoke test',
        });
      }
      seen.add(t.name);
    });
    for (const key of RESERVED_MODEL_ENV) {
      if (key in spec.model.env) {
        ctx.addIssue({
          code: 'custom',
          path: ['model', 'env', key],
          input: spec.model.env[key],
          message: `no ${key} here; it is set from model.${key === 'HF_MODEL_ID' ? 'id' : key === 'HF_TASK' ? 'task' : 'revision'}`,
        });
      }
    }
    const specBytes = jsonBytes(spec);
    if (specBytes > SPEC_LIMITS.maxSpecBytes) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        input: spec,
        message:
          `a spec of at most ${SPEC_LIMITS.maxSpecBytes / 1024} KiB as JSON with its defaults (this one is ${specBytes} bytes; ` +
          'the rollout carries it in a Step Functions state of 256 KiB): use smaller smoke test bodies or fewer tests',
      });
    }
    if (spec.rollout.maxWaitMinutes * 60 < spec.rollout.pollIntervalSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'maxWaitMinutes'],
        input: spec.rollout.maxWaitMinutes,
        message: `a maximum wait of at least one poll interval (${spec.rollout.pollIntervalSeconds} s)`,
      });
    }
  });

/** A rollout spec as written in a file. */
export type RolloutSpecInput = z.input<typeof rolloutSpecSchema>;
/** A validated rollout spec with every default filled in. */
export type RolloutSpec = z.output<typeof rolloutSpecSchema>;
/** One smoke test of a validated spec. */
export type SmokeTest = RolloutSpec['smokeTests'][number];
/** One JSONPath expectation of a smoke test. */
export type JsonPathCheck = SmokeTest['expect']['jsonPaths'][number];

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** Bytes of UTF-8 of a value as JSON (what Step Functions counts against its payload quota). */
function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? '').length;
}
