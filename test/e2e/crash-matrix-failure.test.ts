import {
  broken,
  CRASH_COLUMNS,
  CrashableCloud,
  formatTable,
  nextSpec,
  runCrashCell,
  FAIL_AFTER_SWITCH,
  holdCall,
  holdStep,
  type CrashCell,
  type MatrixRow,
} from './support/matrix';

/**
 * Crash matrix, between the writes and on the failure path (issue 9, "Must show"): for each cell the local cloud is SIGKILLed while the
 * execution is held at that moment by a declared delay fault, then started again on the same data
 * folder and ports. Each invariant is checked on its own and the table below is printed:
 * - held there: the delay fault fired while the execution ran (the cell tests what it names);
 * - API 200 (restart): right after the restart the public API answers 200 from an InService endpoint;
 * - health ok: a health check run then finds the service healthy;
 * - agree (health) / agree (next): after that health check (which reconciles when no rollout runs)
 *   and after the next rollout (whose Acquire Lock reconciles), what the API serves = the proxy's
 *   ENDPOINT_NAME = the live pointer's current (no pending left) = the console's "Live now" = the one
 *   `rollout history` row marked live;
 * - outcome (health) / outcome (next): the interrupted execution's RolloutSummary `live` and `outcome`
 *   say what really happened (live or not; once replaced, naming the rollout that replaced it);
 * - next ok: the next rollout succeeds; inv = live+kept: afterwards SageMaker holds exactly the live
 *   and kept endpoints with their configs and models, no lock item is left;
 * - never broke: the public API, sampled every 250 ms while the cloud was up, always answered 200
 *   (an endpoint deleted while it served answers an error there).
 */

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

let cc: CrashableCloud | undefined;
const rows: MatrixRow[] = [];

beforeAll(async () => {
  cc = await CrashableCloud.start();
  for (let i = 0; i < 2; i++) {
    const first = nextSpec();
    await cc.cloud.deploy(first.spec, first);
  }
}, 180_000);

afterAll(async () => {
  console.log(formatTable('Crash matrix, between the writes and on the failure path', CRASH_COLUMNS, rows));
  await cc?.close();
}, 60_000);

describe('crash matrix, between the writes and on the failure path', () => {
  it.each(CELLS.map((cell) => [cell.name, cell] as const))(
    'SIGKILL at %s: the restarted cloud serves, agrees on what is live, records it, and the next rollout cleans up',
    async (_name, cell) => {
      if (cc === undefined) throw new Error('the cloud did not start');
      const started = Date.now();
      let row: MatrixRow;
      try {
        row = await runCrashCell(cc, cell);
      } catch (error) {
        row = {
          cell: cell.name,
          verdicts: { 'held there': { held: false, why: `the cell itself failed: ${String(error)}` } },
          seconds: (Date.now() - started) / 1000,
        };
      }
      rows.push(row);
      expect(broken(row)).toEqual([]);
    },
    300_000,
  );
});
