import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SmokeTest } from '../../pipeline/spec/schema';
import { readApiKey } from '../shared/api-key';
import { readDeployedSpec } from '../shared/deployed-spec';
import { InvalidStepInputError, PublicApiCheckFailedError } from '../shared/errors';
import { logger } from '../shared/logger';
import {
  probeModelInfo,
  encodeSmokeBody,
  checkSmokeTest,
  expectServedBy,
  httpInvoker,
  type Clock,
  type FetchLike,
} from '../shared/smoke';
import type { LiveTarget, RolloutState, SmokeResult } from '../shared/types';

/** What Verify Public API needs from outside. */
export interface VerifyPublicApiDeps {
  readonly secrets: SecretsManagerClient;
  /** Reads the rollback target's execution input (its spec's smoke tests). */
  readonly sfn: SFNClient;
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  /** @default 8 */
  readonly maxAttempts?: number;
  /** Longest the step keeps trying (its Lambda has 120 s). @default 90000 */
  readonly timeoutMs?: number;
  /** First pause between tries, doubled each time up to 15 s. @default 2000 */
  readonly firstDelayMs?: number;
}

/**
 * Checks that the public URL answers from the target endpoint, as a user would reach it. Tries a few
 * times over a bounded time: proxy containers started before the switch keep the old environment
 * until they are recycled, and the CDN may still hold an old `GET /model`.
 * A real prediction, as for a rollout: the first smoke test of the target deployment's spec (deploy: the
 * state's spec; rollback: read from the input of the execution that deployed the target, as health
 * checks do) through `POST /predict`, which must pass and be served by the target. `GET /model` alone
 * proves nothing: the proxy answers it from its own environment even when the endpoint is gone. Only
 * when a rollback target's spec cannot be read is `GET /model` checked, with a warning saying why.
 */
export async function verifyPublicApiCore(
  state: RolloutState,
  deps: VerifyPublicApiDeps,
): Promise<RolloutState> {
  if (state.kind === 'deploy' && state.spec !== null && !state.spec.rollout.verifyPublicUrl) {
    return {
      ...state,
      warnings: [
        ...state.warnings,
        `Verify Public API skipped: rollout.verifyPublicUrl is false, so ${state.service.publicUrl} was not checked.`,
      ],
    };
  }
  const target = state.target;
  if (target === null) {
    throw new InvalidStepInputError(
      `Verify Public API needs state.target; rollout ${state.rolloutId} has none.`,
    );
  }
  const apiKey = await readApiKey(deps.secrets, state.service.apiKeySecretId);
  const { test, notes } = await testFor(state, target, deps);
  const warnings = notes.map((n) => `Verify Public API: ${n}`);
  const attempt = attemptFor(state, target, test, apiKey, deps);
  const maxAttempts = deps.maxAttempts ?? 8;
  const deadline = deps.clock() + (deps.timeoutMs ?? 90_000);
  let delay = deps.firstDelayMs ?? 2000;
  let last: SmokeResult | null = null;
  let tries = 0;
  const started = deps.clock();
  while (tries < maxAttempts) {
    tries += 1;
    last = await attempt(Math.max(1000, Math.min(30_000, deadline - deps.clock())));
    if (last.passed) return { ...state, publicCheck: last, warnings: [...state.warnings, ...warnings] };
    logger.info('Public API not answering from the target yet', {
      try: tries,
      status: last.status,
      servedBy: last.servedBy ?? null,
      failures: last.failures,
    });
    if (tries >= maxAttempts || deps.clock() + delay >= deadline) break;
    await deps.sleep(delay);
    delay = Math.min(delay * 2, 15_000);
  }
  throw new PublicApiCheckFailedError(
    failureMessage(state, target, test, last, tries, deps.clock() - started),
  );
}

/** The smoke test to send: the deploy's own, or the rollback target's; null (rollback only): GET /model. */
async function testFor(
  state: RolloutState,
  target: LiveTarget,
  deps: VerifyPublicApiDeps,
): Promise<{ test: SmokeTest | null; notes: readonly string[] }> {
  if (state.kind === 'rollback') {
    const deployed = await readDeployedSpec(deps.sfn, target);
    return { test: deployed.smokeTests?.[0] ?? null, notes: deployed.notes };
  }
  const test = state.spec?.smokeTests[0];
  if (test === undefined) {
    throw new InvalidStepInputError(
      `Verify Public API: deploy rollout ${state.rolloutId} has no smoke test to send.`,
    );
  }
  return { test, notes: [] };
}

function attemptFor(
  state: RolloutState,
  target: LiveTarget,
  test: SmokeTest | null,
  apiKey: string | null,
  deps: VerifyPublicApiDeps,
): (timeoutMs: number) => Promise<SmokeResult> {
  const publicUrl = state.service.publicUrl;
  if (test === null) {
    return async (timeoutMs) => {
      return probeModelInfo(
        { publicUrl, apiKey, fetch: deps.fetch, clock: deps.clock, timeoutMs },
        target.endpointName,
      );
    };
  }
  return async (timeoutMs) => {
    const invoker = httpInvoker({ publicUrl, apiKey, fetch: deps.fetch, clock: deps.clock, timeoutMs });
    const answer = await invoker.invoke(encodeSmokeBody(test), test.contentType, test.accept);
    return expectServedBy(checkSmokeTest(test, answer), target.endpointName);
  };
}

/** What was expected and what came back, standing on its own as the execution's cause. */
function failureMessage(
  state: RolloutState,
  target: LiveTarget,
  test: SmokeTest | null,
  last: SmokeResult | null,
  tries: number,
  elapsedMs: number,
): string {
  const what =
    test === null ? `GET ${state.service.publicUrl}/model` : `POST ${state.service.publicUrl}/predict`;
  const got =
    last === null
      ? 'none'
      : `status ${last.status ?? 'none'}, served by ${last.servedBy ?? 'an unnamed endpoint'}; ${last.failures.join('; ')}`;
  return (
    `${what} did not pass its check against endpoint ${target.endpointName} ` +
    `after ${tries} tries over ${Math.round(elapsedMs / 1000)} s. Last answer: ${got}.`
  );
}
