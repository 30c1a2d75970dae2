import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import type { LivePointer, RolloutState } from '../../lambdas/shared/types';
import { validateSpec, type RolloutSpec } from '../../pipeline/spec';

/**
 * Fixtures for the step handler tests: the JSON under test/fixtures/, read fresh for every call so
 * no test can change another's data, and SDK errors shaped as SDK v3 throws them.
 */

const FIXTURES = join(__dirname, '..', 'fixtures');

function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

/** The sample spec (test/fixtures/rollout-spec.json), validated with defaults. */
export function sampleSpec(): RolloutSpec {
  return validateSpec(readFixture('rollout-spec.json'));
}

/** The sample spec as a user writes it (no defaults filled in). */
export function sampleSpecInput(): Record<string, unknown> {
  return readFixture('rollout-spec.json') as Record<string, unknown>;
}

/** A deploy rollout's state after Acquire Lock (test/fixtures/rollout-state.json), with overrides. */
export function deployState(overrides: Partial<RolloutState> = {}): RolloutState {
  const state = readFixture('rollout-state.json') as RolloutState;
  // Validating keeps the fixture honest: a spec the schema rejects would make every test meaningless.
  return { ...state, spec: validateSpec(state.spec), ...overrides };
}

/** A rollback execution's state before Acquire Lock picks its target. */
export function rollbackState(overrides: Partial<RolloutState> = {}): RolloutState {
  const base = deployState();
  const rolloutId = 'sentiment-rollback-20250301-130000-cd34';
  return {
    ...base,
    kind: 'rollback',
    rolloutId,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:${rolloutId}`,
    spec: null,
    resources: null,
    target: null,
    pointerBefore: null,
    lock: null,
    wait: null,
    reason: 'new model answers too slowly',
    timings: [],
    ...overrides,
  };
}

/** The sample live pointer (test/fixtures/live-pointer.json): one current, one kept previous deployment. */
export function samplePointer(): LivePointer {
  return readFixture('live-pointer.json') as LivePointer;
}

/** An error as SDK v3 throws it for a service's unmodeled error code (e.g. SageMaker's ValidationException). */
export function awsError(name: string, message: string, httpStatusCode = 400): SageMakerServiceException {
  return new SageMakerServiceException({
    name,
    message,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });
}

/** SageMaker's answer for a missing resource. */
export function notFound(
  kind: 'model' | 'endpoint configuration' | 'endpoint',
  name: string,
): SageMakerServiceException {
  return awsError('ValidationException', `Could not find ${kind} "${name}".`);
}

/** SageMaker's answer to a Create call for a name that is taken. */
export function alreadyExists(
  kind: 'model' | 'endpoint configuration' | 'endpoint',
  name: string,
): SageMakerServiceException {
  const type = kind === 'endpoint configuration' ? 'endpoint-config' : kind;
  return awsError(
    'ValidationException',
    `Cannot create already existing ${kind} "arn:aws:sagemaker:us-east-1:123456789012:${type}/${name}".`,
  );
}

/** A throttling error as the SDK throws it after its own retries. */
export function throttled(): SageMakerServiceException {
  return awsError('ThrottlingException', 'Rate exceeded');
}

/** A clock stopped at `iso`. */
export function clockAt(iso: string): () => Date {
  return () => new Date(iso);
}

/** The error a promise rejects with; throws (failing the test) when it resolves or rejects with a non-Error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`Expected an Error, got ${String(error)}`);
  }
  throw new Error('Expected the promise to reject, but it resolved');
}
