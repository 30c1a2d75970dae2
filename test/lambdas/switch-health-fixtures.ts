import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateSpec } from '../../pipeline/spec/validate';
import type { RolloutSpec } from '../../pipeline/spec/schema';
import { INITIAL_HEALTH, type HealthState } from '../../lambdas/shared/health-types';
import type { LivePointer, LiveTarget, RolloutState, ServiceRegistration } from '../../lambdas/shared/types';

/** Test data shared by the smoke, switch, roll-back, verify and health tests (JSON under test/fixtures/). */

/** Parses a JSON fixture from test/fixtures/. */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as T;
}

/** The validated spec of test/fixtures/smoke-spec.json. */
export function spec(): RolloutSpec {
  return validateSpec(fixture<unknown>('smoke-spec.json'));
}

/** The service registration of test/fixtures/switch-registration.json. */
export function registration(overrides: Partial<ServiceRegistration> = {}): ServiceRegistration {
  return { ...fixture<ServiceRegistration>('switch-registration.json'), ...overrides };
}

/** The live pointer before the rollout: one current deployment and one kept earlier one. */
export function pointerBefore(): LivePointer {
  return fixture<LivePointer>('switch-pointer-before.json');
}

/** A deploy rollout that has passed its smoke tests, with `overrides` applied. */
export function deployState(overrides: Partial<RolloutState> = {}): RolloutState {
  return {
    ...fixture<Omit<RolloutState, 'service' | 'spec' | 'pointerBefore'>>('switch-rollout-state.json'),
    service: registration(),
    spec: spec(),
    pointerBefore: pointerBefore(),
    ...overrides,
  };
}

/** A rollback rollout back to the kept earlier deployment of the pointer fixture. */
export function rollbackState(overrides: Partial<RolloutState> = {}): RolloutState {
  const before = pointerBefore();
  const target = before.previous[0] as LiveTarget;
  return deployState({
    kind: 'rollback',
    rolloutId: 'sentiment-rollback-20250103-120000-beef',
    executionArn:
      'arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:sentiment-rollback-20250103-120000-beef',
    spec: null,
    resources: null,
    reason: 'bad answers',
    target,
    wait: null,
    ...overrides,
  });
}

/** The deploy fixture's target (the new endpoint). */
export function newTarget(): LiveTarget {
  const target = deployState().target;
  if (target === null) throw new Error('fixture has no target');
  return target;
}

/** A clock that only moves when the code under test sleeps, recording each sleep. */
export function fakeTime(start = 1_000_000): {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  slept: number[];
  advance: (ms: number) => void;
} {
  let t = start;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: (ms) => {
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
    slept,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Read Live Target's output for the pointer fixture: InService, the spec's smoke tests, never checked. */
export function healthState(overrides: Partial<HealthState> = {}): HealthState {
  const s = spec();
  return {
    service: 'sentiment',
    registration: registration(),
    live: pointerBefore(),
    endpointStatus: 'InService',
    smokeTests: s.smokeTests,
    healthCheckSettings: s.healthCheck,
    health: INITIAL_HEALTH,
    notes: [],
    ...overrides,
  };
}
