import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRolloutId } from '../../../pipeline/names';

/** Repository root. */
export const ROOT = join(__dirname, '..', '..', '..');

/** A spec as a user writes it (JSON), before validation. */
export type RawSpec = Record<string, unknown> & {
  service: string;
  model: Record<string, unknown> & { id: string };
  smokeTests: Record<string, unknown>[];
  rollout?: Record<string, unknown>;
};

/** examples/sentiment.json, parsed afresh (callers may change it). */
export function exampleSpec(file = 'sentiment.json'): RawSpec {
  return JSON.parse(readFileSync(join(ROOT, 'examples', file), 'utf8')) as RawSpec;
}

/**
 * The example spec as version `n` of the service: the same model with a description naming the
 * version, and the example's settings otherwise (the local cloud's time scale makes its 30 s polls short).
 */
export function specVersion(n: number, changes: (spec: RawSpec) => void = () => undefined): RawSpec {
  const spec = exampleSpec();
  spec.description = `e2e version ${n} of the sentiment service`;
  changes(spec);
  return spec;
}

const issued = new Set<string>();

/** A fresh rollout id for a spec, unique in this process (ids carry a 4-hex random suffix). */
export function rolloutIdFor(spec: { service: string; model: { id: string } }): string {
  for (;;) {
    const id = newRolloutId(spec.service, spec.model.id);
    if (!issued.has(id)) {
      issued.add(id);
      return id;
    }
  }
}

/** The Task states a successful rollout runs, in order (the oracle the ASL is checked against). */
export const HAPPY_PATH_TASKS = [
  'Validate Spec',
  'Acquire Lock',
  'Create Model',
  'Create Endpoint Config',
  'Create Endpoint',
  'Check Endpoint',
  'Run Smoke Tests',
  'Switch API Target',
  'Refresh CDN',
  'Verify Public API',
  'Retire Old Endpoints',
  'Release Lock',
] as const;
