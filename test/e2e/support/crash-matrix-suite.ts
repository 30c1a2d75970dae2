/* eslint-disable jest/no-export -- this file defines the one suite the crash-matrix test files share */
import {
  broken,
  CRASH_COLUMNS,
  CrashableCloud,
  formatTable,
  nextSpec,
  runCrashCell,
  type CrashCell,
  type MatrixRow,
} from './matrix';

/**
 * Runs a crash matrix (issue 9, "Must show") as one jest suite: for each cell the local cloud is SIGKILLed while the
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
export function describeCrashMatrix(title: string, cells: readonly CrashCell[]): void {
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
    console.log(formatTable(`Crash matrix, ${title}`, CRASH_COLUMNS, rows));
    await cc?.close();
  }, 60_000);

  describe(`crash matrix, ${title}`, () => {
    it.each(cells.map((cell) => [cell.name, cell] as const))(
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
}
