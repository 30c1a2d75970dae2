import { FAIL_AFTER_SWITCH, holdCall, holdStep, type CrashCell } from './support/matrix';
import { describeCrashMatrix } from './support/crash-matrix-suite';

/** Crash matrix, between the writes and on the failure path (issue 9, "Must show"): the cells and invariants are described in support/crash-matrix-suite.ts. */

const PROXY = { FunctionName: '*sentiment-proxy' };
const LIVE_POINTER = { Name: '/hf-rollout/sentiment/live' };

/**
 * Inside Switch API Target (between its writes: pointer with pending, proxy environment, committed
 * pointer), and the failure path after a switch (Refresh CDN fails, so Roll Back restores the API),
 * including inside Roll Back's restore (the same three writes back).
 */
const CELLS: readonly CrashCell[] = [
  {
    name: 'Switch: proxy update in flight (after the pending pointer write)',
    kind: 'deploy',
    hold: holdCall('Lambda.UpdateFunctionConfiguration', PROXY),
  },
  {
    name: 'Switch: proxy switched, 2nd pointer write (commit) not done',
    kind: 'deploy',
    hold: holdCall('SSM.PutParameter', LIVE_POINTER, 1),
  },
  { name: 'Roll Back', kind: 'deploy', lead: [FAIL_AFTER_SWITCH], hold: holdStep('roll-back') },
  {
    name: 'Roll Back: proxy restore in flight',
    kind: 'deploy',
    lead: [FAIL_AFTER_SWITCH],
    hold: holdCall('Lambda.UpdateFunctionConfiguration', PROXY, 1),
  },
  {
    name: 'Roll Back: proxy restored, 4th pointer write (restore commit) not done',
    kind: 'deploy',
    lead: [FAIL_AFTER_SWITCH],
    hold: holdCall('SSM.PutParameter', LIVE_POINTER, 3),
  },
  {
    name: 'Check Endpoint Deleted',
    kind: 'deploy',
    lead: [FAIL_AFTER_SWITCH],
    hold: holdStep('check-endpoint-deleted'),
  },
  { name: 'Clean Up', kind: 'deploy', lead: [FAIL_AFTER_SWITCH], hold: holdStep('clean-up') },
  {
    name: 'Release Lock After Failure',
    kind: 'deploy',
    lead: [FAIL_AFTER_SWITCH],
    hold: holdStep('release-lock'),
  },
];

describeCrashMatrix('between the writes and on the failure path', CELLS);
