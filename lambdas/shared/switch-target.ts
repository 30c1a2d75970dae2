import {
  GetFunctionConfigurationCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { ApiUpdateConflictError, ApiUpdateFailedError, errorMessage } from './errors';
import { logger } from './logger';

/**
 * Points the inference proxy at an endpoint by merging ENDPOINT_NAME (and what describes it) into the
 * proxy Lambda's environment. UpdateFunctionConfiguration replaces the whole variable map, so the map is
 * read, merged and written back with its RevisionId; the update is asynchronous, so the call waits for
 * LastUpdateStatus Successful before it reports the switch done.
 */

/** Variables this module owns in the proxy's environment; every other variable is left as it is. */
export const SWITCHED_ENV_KEYS = ['ENDPOINT_NAME', 'LIVE_ROLLOUT_ID', 'LIVE_MODEL_ID'] as const;

/** Values that go with the endpoint (LIVE_ROLLOUT_ID, LIVE_MODEL_ID). */
export type SwitchExtraEnv = Partial<Record<'LIVE_ROLLOUT_ID' | 'LIVE_MODEL_ID', string>>;

/** Timing of the switch; injected so tests run without waiting. */
export interface SwitchTargetOptions {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** Update attempts blocked by another update (or a changed RevisionId) before giving up. @default 5 */
  readonly maxAttempts?: number;
  /** First backoff after a ResourceConflictException, doubled each time. @default 1000 */
  readonly backoffBaseMs?: number;
  /** Longest the whole switch may take (the step's Lambda has 120 s). @default 90000 */
  readonly timeoutMs?: number;
  /** First wait before polling GetFunctionConfiguration again, doubled each poll. @default 250 */
  readonly firstPollMs?: number;
  /** Longest wait between two polls. @default 2000 */
  readonly pollIntervalMs?: number;
}

/** What the switch did. */
export interface SwitchTargetResult {
  /** False when the environment already named the target (a retried step): nothing was written. */
  readonly updated: boolean;
  /** ENDPOINT_NAME before the switch (null: unset). */
  readonly previousEndpointName: string | null;
}

/**
 * Sets the proxy's ENDPOINT_NAME to `endpointName` (with `extraEnv`), or removes the switched variables
 * when `endpointName` is null, keeping every other variable. Throws ApiUpdateConflictError when other
 * updates keep blocking it (the state machine retries that) and ApiUpdateFailedError when Lambda reports
 * the update Failed.
 */
export async function switchTarget(
  lambda: LambdaClient,
  functionName: string,
  endpointName: string | null,
  extraEnv: SwitchExtraEnv,
  options: SwitchTargetOptions,
): Promise<SwitchTargetResult> {
  const maxAttempts = options.maxAttempts ?? 5;
  const deadline = options.now() + (options.timeoutMs ?? 90_000);
  const read = (): Promise<FunctionConfiguration> =>
    lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  let conflicts = 0;
  let staleRevisions = 0;
  let previousEndpointName: string | null = null;
  for (;;) {
    const config = await waitWhileInProgress(read, functionName, deadline, options);
    const current = config.Environment?.Variables ?? {};
    previousEndpointName = current.ENDPOINT_NAME ?? null;
    const desired = mergeSwitchedEnv(current, endpointName, extraEnv);
    if (sameSwitchedEnv(current, desired)) {
      // Already switched (a retry of a step that got this far): writing again would only bump the revision.
      if (config.LastUpdateStatus === 'Failed') throw updateFailed(functionName, config);
      return { updated: false, previousEndpointName };
    }
    try {
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: functionName,
          Environment: { Variables: desired },
          ...(config.RevisionId === undefined ? {} : { RevisionId: config.RevisionId }),
        }),
      );
      break;
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'ResourceConflictException') {
        conflicts += 1;
        if (conflicts >= maxAttempts || options.now() >= deadline) {
          throw new ApiUpdateConflictError(
            `Proxy function ${functionName} is still being updated by something else after ${conflicts} attempts ` +
              `(ResourceConflictException: ${errorMessage(error)}); the step will be retried.`,
            { cause: error },
          );
        }
        const backoff = Math.min((options.backoffBaseMs ?? 1000) * 2 ** (conflicts - 1), 10_000);
        logger.warn('Proxy update blocked by another update; backing off', {
          functionName,
          conflicts,
          backoff,
        });
        await options.sleep(backoff);
        continue;
      }
      if (name === 'PreconditionFailedException') {
        // Someone changed the configuration between our read and write: re-read so their change is kept.
        staleRevisions += 1;
        if (staleRevisions >= maxAttempts) {
          throw new ApiUpdateConflictError(
            `Proxy function ${functionName} configuration kept changing while it was being switched ` +
              `(${staleRevisions} stale RevisionIds); the step will be retried.`,
            { cause: error },
          );
        }
        logger.warn('Proxy configuration changed since it was read; re-reading', { functionName });
        continue;
      }
      throw error;
    }
  }
  const done = await waitWhileInProgress(read, functionName, deadline, options);
  if (done.LastUpdateStatus === 'Failed') throw updateFailed(functionName, done);
  return { updated: true, previousEndpointName };
}

/** The environment after the switch: `current` with the switched keys replaced (or removed for null). */
export function mergeSwitchedEnv(
  current: Readonly<Record<string, string>>,
  endpointName: string | null,
  extraEnv: SwitchExtraEnv,
): Record<string, string> {
  const merged: Record<string, string> = { ...current };
  for (const key of SWITCHED_ENV_KEYS) delete merged[key];
  if (endpointName === null) return merged;
  merged.ENDPOINT_NAME = endpointName;
  for (const [key, value] of Object.entries(extraEnv)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/**
 * The function's configuration once no update is InProgress (reconcile reads what the proxy will
 * serve, not an update a crashed switch left half done). Throws ApiUpdateConflictError past the timeout.
 */
export async function readSettledConfiguration(
  lambda: LambdaClient,
  functionName: string,
  options: SwitchTargetOptions,
): Promise<FunctionConfiguration> {
  const deadline = options.now() + (options.timeoutMs ?? 90_000);
  return waitWhileInProgress(
    () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
    functionName,
    deadline,
    options,
  );
}

function sameSwitchedEnv(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return SWITCHED_ENV_KEYS.every((key) => a[key] === b[key]);
}

async function waitWhileInProgress(
  read: () => Promise<FunctionConfiguration>,
  functionName: string,
  deadline: number,
  options: SwitchTargetOptions,
): Promise<FunctionConfiguration> {
  let config = await read();
  // Updates usually settle within a second or two: poll soon, then back off.
  let waitMs = options.firstPollMs ?? 250;
  while (config.LastUpdateStatus === 'InProgress') {
    if (options.now() >= deadline) {
      throw new ApiUpdateConflictError(
        `Proxy function ${functionName} configuration update is still InProgress after the ${Math.round(
          (options.timeoutMs ?? 90_000) / 1000,
        )} s this step waits; the step will be retried.`,
      );
    }
    await options.sleep(Math.min(waitMs, options.pollIntervalMs ?? 2000));
    waitMs *= 2;
    config = await read();
  }
  return config;
}

function updateFailed(functionName: string, config: FunctionConfiguration): ApiUpdateFailedError {
  return new ApiUpdateFailedError(
    `Proxy function ${functionName} configuration update ended Failed` +
      `${config.LastUpdateStatusReasonCode === undefined ? '' : ` (${config.LastUpdateStatusReasonCode})`}: ` +
      `${config.LastUpdateStatusReason ?? 'Lambda gave no reason'}. Check the function in the Lambda console.`,
  );
}
