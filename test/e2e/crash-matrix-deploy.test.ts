import { holdStep, type CrashCell } from './support/matrix';
import { describeCrashMatrix } from './support/crash-matrix-suite';

/** Crash matrix, the rollout path (issue 9, "Must show"): the cells and invariants are described in support/crash-matrix-suite.ts. */

/** Every Task state of a successful rollout, held when its Lambda is invoked. */
const CELLS: readonly CrashCell[] = (
  [
    ['Validate Spec', 'validate-spec'],
    ['Acquire Lock', 'acquire-lock'],
    ['Create Model', 'create-model'],
    ['Create Endpoint Config', 'create-endpoint-config'],
    ['Create Endpoint', 'create-endpoint'],
    ['Check Endpoint', 'check-endpoint'],
    ['Run Smoke Tests', 'run-smoke-tests'],
    ['Switch API Target', 'switch-api-target'],
    ['Refresh CDN', 'refresh-cdn'],
    ['Verify Public API', 'verify-public-api'],
    ['Retire Old Endpoints', 'retire-old-endpoints'],
    ['Release Lock', 'release-lock'],
  ] as const
).map(([name, fn]) => ({ name, kind: 'deploy', hold: holdStep(fn) }));

describeCrashMatrix('the rollout path', CELLS);
