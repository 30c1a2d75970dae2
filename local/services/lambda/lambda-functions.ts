import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { LAMBDA_RUNTIME } from '../../../lambdas/catalog';
import { AwsError } from '../../protocol/errors';
import type { ServiceContext } from '../../protocol/types';
import type { ExecutionEnvironments, InvocationOutcome } from './execution-environments';
import type {
  FunctionDefinition,
  FunctionRecord,
  FunctionSettings,
  FunctionStore,
  SettingsChanges,
} from './function-store';
import {
  functionNotFound,
  invalidParameter,
  invalidRequestContent,
  requestTooLarge,
  throttled,
  validationError,
} from './lambda-errors';
import type { FunctionErrorPayload } from './runtime-protocol';

/** Synchronous invocation payload limit (request and response), as Lambda enforces it. */
export const SYNC_PAYLOAD_LIMIT_BYTES = 6_291_456;
/** Asynchronous (Event) invocation payload limit. */
export const ASYNC_PAYLOAD_LIMIT_BYTES = 262_144;
const RESPONSE_LIMIT_BYTES = 6_291_556;
const TAIL_BYTES = 4096;

/** Environment variable names Lambda reserves (an update may not set them). */
export const RESERVED_ENVIRONMENT_KEYS: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

/** What the Lambda functions run on and how they behave. */
export interface LambdaFunctionsOptions {
  readonly ctx: ServiceContext;
  /** AWS API URL given to functions as AWS_ENDPOINT_URL. */
  readonly endpoint: string;
  readonly store: FunctionStore;
  readonly environments: ExecutionEnvironments;
  /** The bundle of a code id, or why it could not be built. */
  readonly code: (codeId: string) => { readonly file: string } | { readonly error: string };
  /** Concurrent invocations per function before TooManyRequestsException. @default 100 */
  readonly maxConcurrency?: number;
  /** AWS seconds a configuration update stays InProgress (scaled by the clock). @default 3 */
  readonly configUpdateSeconds?: number;
}

/** One Invoke call. */
export interface InvokeInput {
  readonly functionName: string;
  readonly payload: Buffer;
  /** @default 'RequestResponse' */
  readonly invocationType?: string;
  /** @default 'None' */
  readonly logType?: string;
  readonly clientContext?: string;
  readonly qualifier?: string;
}

/** What Invoke answers. */
export interface InvokeOutput {
  readonly statusCode: 200 | 202 | 204;
  readonly payload?: string;
  readonly functionError?: 'Unhandled';
  /** Base64 of the last 4 KB of the invocation's log (LogType Tail). */
  readonly logResult?: string;
  readonly executedVersion?: string;
  /** The function's error payload, parsed, when functionError is set. */
  readonly error?: FunctionErrorPayload;
}

/** UpdateFunctionConfiguration's input as the SDK sends it. */
export interface UpdateConfigurationInput {
  readonly FunctionName: string;
  readonly [field: string]: unknown;
}

const UPDATABLE_FIELDS = [
  'FunctionName',
  'Environment',
  'Timeout',
  'MemorySize',
  'Description',
  'Role',
  'RevisionId',
];

/**
 * Lambda's operations over the function store and the execution environments: name resolution,
 * invocation (sync, Event, DryRun; payload limits; concurrency), configuration reads and updates, all
 * with Lambda's error codes. The wire layer (lambda-service.ts) and the edge both call these.
 */
export class LambdaFunctions {
  private readonly inFlight = new Map<string, number>();
  private readonly slotWaiters = new Map<string, (() => void)[]>();
  private closed = false;
  private readonly background = new Set<Promise<unknown>>();
  private readonly maxConcurrency: number;
  private readonly configUpdateSeconds: number;

  constructor(private readonly options: LambdaFunctionsOptions) {
    this.maxConcurrency = options.maxConcurrency ?? 100;
    this.configUpdateSeconds = options.configUpdateSeconds ?? 3;
  }

  /** The ARN of a function name in this cloud. */
  arnOf(name: string): string {
    return functionArn(this.options.ctx, name);
  }

  /** Creates or refreshes a function (see FunctionStore.register). */
  register(definition: FunctionDefinition, keepSettings: boolean): FunctionRecord {
    return this.options.store.register(definition, keepSettings);
  }

  /** True when the function exists. */
  exists(name: string): boolean {
    return this.options.store.find(name) !== undefined;
  }

  /** A function by name or ARN (ResourceNotFoundException otherwise). */
  get(functionName: string, qualifier?: string): FunctionRecord {
    const ref = this.resolve(functionName, qualifier);
    return this.options.store.get(ref.name);
  }

  /** GetFunctionConfiguration. */
  getConfiguration(functionName: string, qualifier?: string): Record<string, unknown> {
    return toFunctionConfiguration(this.get(functionName, qualifier));
  }

  /** GetFunction. */
  getFunction(functionName: string, qualifier?: string): Record<string, unknown> {
    const record = this.get(functionName, qualifier);
    const code = this.options.code(record.codeId);
    return {
      Configuration: toFunctionConfiguration(record),
      Code: { RepositoryType: 'S3', Location: 'file' in code ? `file://${code.file}` : '' },
    };
  }

  /** ListFunctions, paginated by Marker / MaxItems. */
  listFunctions(marker: string | undefined, maxItems: number | undefined): Record<string, unknown> {
    const limit = maxItems ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw validationError('maxItems', maxItems, 'Member must have value between 1 and 10000');
    }
    const all = this.options.store.list();
    let start = 0;
    if (marker !== undefined && marker !== '') {
      const after = Buffer.from(marker, 'base64url').toString('utf8');
      start = all.findIndex((f) => f.name > after);
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + limit);
    const last = page[page.length - 1];
    const more = start + limit < all.length && last !== undefined;
    return {
      Functions: page.map(toFunctionConfiguration),
      ...(more ? { NextMarker: Buffer.from(last.name, 'utf8').toString('base64url') } : {}),
    };
  }

  /**
   * UpdateFunctionConfiguration: validates, then starts the asynchronous update (InProgress for the
   * configured AWS seconds, then Successful, or Failed when a `Lambda.ConfigUpdate` fault says so).
   * Environment replaces the whole variable map, as on AWS.
   */
  updateConfiguration(input: UpdateConfigurationInput): Record<string, unknown> {
    const unsupported = Object.keys(input).filter((k) => !UPDATABLE_FIELDS.includes(k));
    if (unsupported.length > 0) {
      throw invalidParameter(
        `The local cloud does not emulate ${unsupported.join(', ')} in UpdateFunctionConfiguration (see local/SUPPORT.md).`,
      );
    }
    const record = this.get(input.FunctionName);
    const changes = parseChanges(input);
    const outcome = this.options.ctx.faults.take(
      'Lambda.ConfigUpdate',
      input,
      (o) => o.lastUpdateStatus === 'Failed',
    );
    const failure =
      outcome === undefined
        ? undefined
        : {
            reason:
              typeof outcome.reason === 'string'
                ? outcome.reason
                : 'The configuration update failed (declared Lambda.ConfigUpdate fault).',
            reasonCode: typeof outcome.reasonCode === 'string' ? outcome.reasonCode : 'InternalError',
          };
    const revisionId = typeof input.RevisionId === 'string' ? input.RevisionId : undefined;
    const updated = this.options.store.update(record.name, changes, {
      durationMs: this.options.ctx.clock.scaledMs(this.configUpdateSeconds),
      ...(revisionId === undefined ? {} : { revisionId }),
      ...(failure === undefined ? {} : { failure }),
    });
    return toFunctionConfiguration(updated);
  }

  /** Invoke: RequestResponse runs and answers; Event answers 202 and runs in the background; DryRun 204. */
  async invoke(input: InvokeInput): Promise<InvokeOutput> {
    const type = input.invocationType ?? 'RequestResponse';
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      throw validationError(
        'invocationType',
        type,
        'Member must satisfy enum value set: [Event, RequestResponse, DryRun]',
      );
    }
    const record = this.get(input.functionName, input.qualifier);
    const limit = type === 'Event' ? ASYNC_PAYLOAD_LIMIT_BYTES : SYNC_PAYLOAD_LIMIT_BYTES;
    if (input.payload.length > limit) throw requestTooLarge(limit);
    const payload = input.payload.length === 0 ? '{}' : input.payload.toString('utf8');
    try {
      JSON.parse(payload);
    } catch (error) {
      throw invalidRequestContent(`Could not parse request body into json: ${(error as Error).message}`);
    }
    if (type === 'DryRun') return { statusCode: 204 };

    if (type === 'Event') {
      // Lambda queues asynchronous invocations instead of throttling the caller: wait for a free slot.
      const run = this.slotFree(record.name)
        .then(() => this.run(this.options.store.get(record.name), payload, input.clientContext))
        .catch((error: unknown) => {
          console.error(`[local] Event invocation of ${record.name} failed: ${(error as Error).message}`);
        });
      this.background.add(run);
      void run.finally(() => this.background.delete(run));
      return { statusCode: 202 };
    }

    if (this.busy(record.name) >= this.maxConcurrency) throw throttled();
    const outcome = await this.run(record, payload, input.clientContext);
    const tail =
      input.logType === 'Tail'
        ? Buffer.from(outcome.logLines.join('\n'), 'utf8').subarray(-TAIL_BYTES).toString('base64')
        : undefined;
    let error = outcome.kind === 'error' ? outcome.error : undefined;
    let body = outcome.kind === 'error' ? JSON.stringify(outcome.error) : outcome.payload;
    if (error === undefined && Buffer.byteLength(body) > RESPONSE_LIMIT_BYTES) {
      error = {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT_BYTES} bytes).`,
      };
      body = JSON.stringify(error);
    }
    return {
      statusCode: 200,
      payload: body,
      executedVersion: '$LATEST',
      ...(error === undefined ? {} : { functionError: 'Unhandled' as const, error }),
      ...(tail === undefined ? {} : { logResult: tail }),
    };
  }

  /** Functions with their live endpoint, update status and environments, for the inventory. */
  inventory(): Record<string, unknown>[] {
    return this.options.store.list().map((f) => {
      const stats = this.options.environments.stats(f.name);
      return {
        name: f.name,
        endpointName: f.settings.environment.ENDPOINT_NAME ?? null,
        lastUpdateStatus: f.lastUpdate.status,
        revisionId: f.revisionId,
        workers: stats.environments,
        busyWorkers: stats.busy,
        inFlight: this.inFlight.get(f.name) ?? 0,
      };
    });
  }

  /** Stops every environment and waits for background (Event) invocations to end. */
  async close(): Promise<void> {
    this.closed = true;
    await this.options.environments.shutdown();
    await Promise.allSettled([...this.background]);
  }

  private async run(
    record: FunctionRecord,
    payload: string,
    clientContext: string | undefined,
  ): Promise<InvocationOutcome> {
    if (this.closed)
      throw new AwsError('ServiceException', 'The local cloud is stopping; the invocation was not run.', 500);
    const requestId = randomUUID();
    this.inFlight.set(record.name, (this.inFlight.get(record.name) ?? 0) + 1);
    try {
      const code = this.options.code(record.codeId);
      if ('error' in code) {
        // Lambda reports code it cannot load as an init error of the invocation.
        return {
          kind: 'error',
          requestId,
          durationMs: 0,
          logLines: [],
          error: {
            errorType: 'Runtime.ImportModuleError',
            errorMessage: `Error: Cannot load the bundle: ${code.error}`,
          },
        };
      }
      return await this.options.environments.invoke(environmentConfig(this.options, record, code.file), {
        requestId,
        payload,
        invokedFunctionArn: record.arn,
        ...(clientContext === undefined ? {} : { clientContext }),
      });
    } finally {
      this.inFlight.set(record.name, (this.inFlight.get(record.name) ?? 1) - 1);
      this.slotWaiters.get(record.name)?.shift()?.();
    }
  }

  private busy(name: string): number {
    return this.inFlight.get(name) ?? 0;
  }

  /** Resolves when the function has a free concurrency slot (for queued Event invocations). */
  private async slotFree(name: string): Promise<void> {
    while (this.busy(name) >= this.maxConcurrency) {
      await new Promise<void>((resolve) => {
        const waiters = this.slotWaiters.get(name) ?? [];
        waiters.push(resolve);
        this.slotWaiters.set(name, waiters);
      });
    }
  }

  /** Parses a FunctionName (name, `name:qualifier`, partial or full ARN) the way Lambda does. */
  private resolve(functionName: string, qualifier?: string): { name: string } {
    const match =
      /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_.]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/.exec(
        functionName,
      );
    if (match === null || functionName.length > 170) {
      throw validationError(
        'functionName',
        functionName,
        'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
      );
    }
    const [, region, account, name = '', arnQualifier] = match;
    const wanted = arnQualifier ?? qualifier;
    const arn = `${this.arnOf(name)}${wanted === undefined ? '' : `:${wanted}`}`;
    const elsewhere =
      (region !== undefined && region !== this.options.ctx.region) ||
      (account !== undefined && account !== this.options.ctx.accountId);
    if (
      elsewhere ||
      (wanted !== undefined && wanted !== '$LATEST') ||
      this.options.store.find(name) === undefined
    ) {
      throw functionNotFound(arn);
    }
    return { name };
  }
}

/** A function's ARN. */
export function functionArn(ctx: Pick<ServiceContext, 'region' | 'accountId'>, name: string): string {
  return `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}`;
}

/** The worker configuration of a function's active settings: its environment as Lambda assembles it. */
function environmentConfig(options: LambdaFunctionsOptions, record: FunctionRecord, bundleFile: string) {
  const settings = record.active;
  const logGroupName = `/aws/lambda/${record.name}`;
  const env: Record<string, string> = {
    // The cloud's plumbing; a function may point itself elsewhere with its own AWS_ENDPOINT_URL.
    AWS_ENDPOINT_URL: options.endpoint,
    ...settings.environment,
    AWS_REGION: options.ctx.region,
    AWS_DEFAULT_REGION: options.ctx.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: record.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(settings.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${LAMBDA_RUNTIME}`,
    LAMBDA_TASK_ROOT: dirname(bundleFile),
    _HANDLER: 'index.handler',
  };
  return {
    functionName: record.name,
    key: `${record.activeRevisionId}:${record.codeSha256}`,
    bundleFile,
    memoryMb: settings.memoryMb,
    timeoutSeconds: settings.timeoutSeconds,
    env,
    enableSourceMaps: (settings.environment.NODE_OPTIONS ?? '').includes('--enable-source-maps'),
    logGroupName,
  };
}

/** Lambda's FunctionConfiguration shape. */
export function toFunctionConfiguration(record: FunctionRecord): Record<string, unknown> {
  const s = record.settings;
  const update = record.lastUpdate;
  return {
    FunctionName: record.name,
    FunctionArn: record.arn,
    Runtime: LAMBDA_RUNTIME,
    Role: s.role,
    Handler: 'index.handler',
    CodeSize: record.codeSize,
    Description: s.description,
    Timeout: s.timeoutSeconds,
    MemorySize: s.memoryMb,
    LastModified: record.lastModified,
    CodeSha256: record.codeSha256,
    Version: '$LATEST',
    Environment: { Variables: { ...s.environment } },
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: record.revisionId,
    State: 'Active',
    LastUpdateStatus: update.status,
    ...(update.status === 'Failed'
      ? { LastUpdateStatusReason: update.reason, LastUpdateStatusReasonCode: update.reasonCode }
      : {}),
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${record.name}` },
  };
}

function parseChanges(input: UpdateConfigurationInput): SettingsChanges {
  const changes: { -readonly [K in keyof FunctionSettings]?: FunctionSettings[K] } = {};
  if (input.Timeout !== undefined) {
    const t = input.Timeout;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > 900) {
      throw validationError('timeout', t, 'Member must have value between 1 and 900');
    }
    changes.timeoutSeconds = t;
  }
  if (input.MemorySize !== undefined) {
    const m = input.MemorySize;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 128 || m > 10_240) {
      throw validationError('memorySize', m, 'Member must have value between 128 and 10240');
    }
    changes.memoryMb = m;
  }
  if (input.Description !== undefined) {
    if (typeof input.Description !== 'string' || input.Description.length > 256) {
      throw validationError(
        'description',
        input.Description,
        'Member must have length less than or equal to 256',
      );
    }
    changes.description = input.Description;
  }
  if (input.Role !== undefined) {
    if (
      typeof input.Role !== 'string' ||
      !/^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(input.Role)
    ) {
      throw validationError(
        'role',
        input.Role,
        'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+',
      );
    }
    changes.role = input.Role;
  }
  if (input.Environment !== undefined) changes.environment = parseEnvironment(input.Environment);
  return changes;
}

function parseEnvironment(environment: unknown): Record<string, string> {
  const variables =
    environment !== null && typeof environment === 'object'
      ? (environment as { Variables?: unknown }).Variables
      : undefined;
  if (variables === undefined || variables === null) return {};
  if (typeof variables !== 'object' || Array.isArray(variables)) {
    throw invalidParameter('Environment.Variables must be a map of strings.');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables as Record<string, unknown>)) {
    if (!/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(key)) {
      throw validationError(
        'environment.variables',
        key,
        'Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]',
      );
    }
    if (typeof value !== 'string') throw invalidParameter(`Environment variable ${key} must be a string.`);
    out[key] = value;
  }
  const reserved = Object.keys(out).filter((k) => RESERVED_ENVIRONMENT_KEYS.includes(k));
  if (reserved.length > 0) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(',')}`,
    );
  }
  const size = Object.entries(out).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > 4096) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${JSON.stringify(out)}`,
    );
  }
  return out;
}
