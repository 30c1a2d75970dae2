import { fullHistory } from '../../pipeline/history';
import { startCloud, type E2eCloud, type RolloutOutcome } from './support/cloud';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * Zero downtime: requests go to the edge continuously, from a few concurrent clients, while a rollout
 * switches the API from version 1's endpoint to version 2's. The switch is the Switch API Target step,
 * from its entry to its exit in the execution's history; a declared delay on the proxy's
 * UpdateFunctionConfiguration holds it open long enough for at least 2,000 requests, sized from the
 * rate this machine answers at. The load runs until the rollout has ended (no request cap). None may
 * fail, and every answer must name one of the two endpoints.
 */

const SERVICE = 'sentiment';
/** At least this many requests sent and answered while the switch runs. */
const MIN_DURING_SWITCH = 2000;
/**
 * The hold is sized for this many times MIN_DURING_SWITCH at the rate measured before the rollout (a
 * lower bound: here 68 answers/s before, 164/s during the hold, once the code paths are warm).
 */
const HOLD_MARGIN = 1.5;
/** Longest hold (the Switch API Target function times out after 120 s). */
const MAX_HOLD_MS = 90_000;
const CLIENTS = 4;
/** Answers measured before the rollout starts (the rate the hold is sized from). */
const WARM_ANSWERS = 400;

let cloud: E2eCloud;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ cloud, stop } = await startCloud());
}, 60_000);

afterAll(async () => {
  await stop();
});

/** One answer the load saw (status 0: no HTTP answer at all). */
interface Seen {
  readonly status: number;
  readonly servedBy: string | null;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly problem?: string;
}

/** Sends requests from CLIENTS loops until `done()` says the rollout has ended. */
async function load(
  target: E2eCloud,
  done: () => boolean,
  onAnswer: (seen: readonly Seen[]) => void,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  let sent = 0;
  const client = async (id: number): Promise<void> => {
    while (!done()) {
      sent += 1;
      const n = sent;
      const sentAt = Date.now();
      try {
        const answer = await target.callApi(SERVICE, { inputs: `request ${n} from client ${id}: I love it` });
        seen.push({
          status: answer.status,
          servedBy: answer.servedBy,
          sentAt,
          answeredAt: Date.now(),
          ...(answer.status === 200 ? {} : { problem: answer.body.slice(0, 200) }),
        });
      } catch (error) {
        seen.push({ status: 0, servedBy: null, sentAt, answeredAt: Date.now(), problem: String(error) });
      }
      onAnswer(seen);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  return seen;
}

describe('a rollout under load', () => {
  it('switches endpoints while at least 2,000 requests sent during the switch all succeed from the old or the new endpoint', async () => {
    const v1 = specVersion(1);
    const oldEndpoint = (await cloud.deploy(v1, { rolloutId: rolloutIdFor(v1) })).rolloutId;
    const v2 = specVersion(2);
    const newEndpoint = rolloutIdFor(v2);

    let rollout: Promise<RolloutOutcome> | undefined;
    let starting = false;
    let ended = false;
    let holdMs = 0;
    const seen = await load(
      cloud,
      () => ended,
      (answers) => {
        if (starting || answers.length < WARM_ANSWERS) return;
        starting = true;
        // Hold the switch open for HOLD_MARGIN × 2,000 requests at the rate measured so far.
        // The steady rate: the first answers include the proxy's cold start.
        const first = answers[WARM_ANSWERS / 4]?.answeredAt ?? 0;
        const perSecond = (answers.length - WARM_ANSWERS / 4) / Math.max(0.001, (Date.now() - first) / 1000);
        // Under the switch function's own 120 s timeout, which would cut the held call short.
        holdMs = Math.min(MAX_HOLD_MS, Math.ceil(((HOLD_MARGIN * MIN_DURING_SWITCH) / perSecond) * 1000));
        rollout = cloud
          .addFaults({
            operation: 'Lambda.UpdateFunctionConfiguration',
            match: { FunctionName: `*${SERVICE}-proxy` },
            outcome: { delayMs: holdMs },
            count: 1,
          })
          .then(() => cloud.runRollout(v2, { rolloutId: newEndpoint, timeoutMs: holdMs + 120_000 }))
          .finally(() => {
            ended = true;
          });
        // Awaited below; this only keeps a failed rollout from being an unhandled rejection meanwhile.
        rollout.catch(() => undefined);
      },
    );
    if (rollout === undefined) throw new Error(`the load never reached ${WARM_ANSWERS} answers`);
    const outcome = await rollout;
    expect(outcome.status).toBe('SUCCEEDED');

    // The switch, as the execution recorded it.
    const events = await fullHistory(cloud.clients.sfn, outcome.executionArn);
    const at = (type: string): number => {
      const event = events.find(
        (e) =>
          e.type === type &&
          (e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name) === 'Switch API Target',
      );
      if (event?.timestamp === undefined) throw new Error(`no ${type} of Switch API Target`);
      return event.timestamp.getTime();
    };
    const switchStarted = at('TaskStateEntered');
    const switchEnded = at('TaskStateExited');
    const duringSwitch = seen.filter((s) => s.sentAt >= switchStarted && s.answeredAt <= switchEnded);

    expect(duringSwitch.length).toBeGreaterThanOrEqual(MIN_DURING_SWITCH);
    expect(duringSwitch.filter((s) => s.status !== 200)).toEqual([]);
    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    expect(seen.filter((s) => s.servedBy !== oldEndpoint && s.servedBy !== newEndpoint)).toEqual([]);
    // Before the switch only the old endpoint answers; once it has ended, only the new one.
    expect(new Set(seen.filter((s) => s.answeredAt < switchStarted).map((s) => s.servedBy))).toEqual(
      new Set([oldEndpoint]),
    );
    expect(new Set(seen.filter((s) => s.sentAt > switchEnded).map((s) => s.servedBy))).toEqual(
      new Set([newEndpoint]),
    );
    expect(seen.filter((s) => s.servedBy === newEndpoint).length).toBeGreaterThan(0);
    expect((await cloud.callApi(SERVICE, { inputs: 'after the switch' })).servedBy).toBe(newEndpoint);
  }, 600_000);
});
