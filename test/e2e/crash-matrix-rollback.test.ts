import { FAIL_AFTER_SWITCH, holdStep, type CrashCell } from './support/matrix';
import { describeCrashMatrix } from './support/crash-matrix-suite';

/** Crash matrix, the rollback path (issue 9, "Must show"): the cells and invariants are described in support/crash-matrix-suite.ts. */

/** Every Task state of `rollout rollback` (input kind: rollback), and its Roll Back when it fails after the switch. */
const CELLS: readonly CrashCell[] = [
  ...(
    [
      ['rollback: Validate Spec', 'validate-spec'],
      ['rollback: Acquire Lock', 'acquire-lock'],
      ['rollback: Switch API Target', 'switch-api-target'],
      ['rollback: Refresh CDN', 'refresh-cdn'],
      ['rollback: Verify Public API', 'verify-public-api'],
      ['rollback: Retire Old Endpoints', 'retire-old-endpoints'],
      ['rollback: Release Lock', 'release-lock'],
    ] as const
  ).map(([name, fn]): CrashCell => ({ name, kind: 'rollback', hold: holdStep(fn) })),
  { name: 'rollback: Roll Back', kind: 'rollback', lead: [FAIL_AFTER_SWITCH], hold: holdStep('roll-back') },
];

describeCrashMatrix('the rollback path', CELLS);
