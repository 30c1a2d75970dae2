import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readApiKey } from '../shared/api-key';
import { InvalidStepInputError } from '../shared/errors';
import type { HealthState, ProbedHealthState } from '../shared/health-types';
import {
  DEFAULT_SMOKE_CONCURRENCY,
  probeModelInfo,
  expectServedBy,
  httpInvoker,
  median,
  runSmokeTests,
  type Clock,
  type FetchLike,
} from '../shared/smoke';
import type { SmokeResult } from '../shared/types';

/** What Probe Public API needs from outside. */
export interface HealthProbeDeps {
  readonly secrets: SecretsManagerClient;
  readonly fetch: FetchLike;
  readonly clock: Clock;
  /** @default 4 */
  readonly concurrency?: number;
}

/** Checks the input is Read Live Target's output for a live service. */
export function parseHealthState(event: unknown): HealthState {
  const e = event as Partial<HealthState> | null;
  if (
    e === null ||
    typeof e !== 'object' ||
    typeof e.service !== 'string' ||
    typeof e.registration?.publicUrl !== 'string' ||
    typeof e.live?.current.endpointName !== 'string' ||
    !(e.smokeTests === null || Array.isArray(e.smokeTests))
  ) {
    throw new InvalidStepInputError(
      `Probe Public API expects Read Live Target's output (service, registration, live, smokeTests); got ${JSON.stringify(event)?.slice(0, 200)}`,
    );
  }
  return e as HealthState;
}

/**
 * Calls the public URL as a user would: the live deployment's smoke tests through `POST /predict`
 * (each must pass and be served by the live endpoint), or `GET /model` when they are unknown. A failing
 * probe is a result, not an error: Record Health decides what it means.
 */
export async function healthProbeCore(state: HealthState, deps: HealthProbeDeps): Promise<ProbedHealthState> {
  const apiKey = await readApiKey(deps.secrets, state.registration.apiKeySecretId);
  const endpointName = state.live.current.endpointName;
  const publicUrl = state.registration.publicUrl;
  let results: SmokeResult[];
  if (state.smokeTests === null) {
    results = [
      await probeModelInfo({ publicUrl, apiKey, fetch: deps.fetch, clock: deps.clock }, endpointName),
    ];
  } else {
    const invoker = httpInvoker({ publicUrl, apiKey, fetch: deps.fetch, clock: deps.clock });
    // A serverless endpoint throttles past its MaxConcurrency: Read Live Target says how many at once.
    const concurrency = Math.min(
      deps.concurrency ?? DEFAULT_SMOKE_CONCURRENCY,
      state.probeConcurrency ?? Infinity,
    );
    const outcomes = await runSmokeTests(state.smokeTests, invoker, concurrency);
    results = outcomes.map((o) => expectServedBy(o.result, endpointName));
  }
  return {
    ...state,
    probe: {
      passed: results.every((r) => r.passed),
      results,
      latencyMs: median(results.map((r) => r.latencyMs)),
      servedBy: results.find((r) => r.servedBy !== undefined)?.servedBy ?? null,
    },
  };
}
