import { startCloud, type E2eCloud, type RolloutOutcome } from './support/cloud';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * Zero downtime: requests go to the edge continuously, from a few concurrent clients, while a rollout
 * switches the API from version 1's endpoint to version 2's. None may fail, and every answer must
 * name one of the two endpoints.
 */

const SERVICE = 'sentiment';
/** At least this many requests, and the rollout must end while they are sent. */
const MIN_REQUESTS = 2000;
/** Bounds of the load, whichever comes first once the rollout has ended and MIN_REQUESTS are sent. */
const MAX_REQUESTS = 20_000;
const MAX_LOAD_MS = 120_000;
const CLIENTS = 4;

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
  /** Sent after the rollout started and answered before it ended. */
  readonly duringRollout: boolean;
  readonly problem?: string;
}

/** Where the rollout is, as the load sees it. */
interface Phase {
  started: boolean;
  ended: boolean;
}

/** Sends requests from CLIENTS loops until `done()` says so or a bound is reached. */
async function load(
  target: E2eCloud,
  phase: Readonly<Phase>,
  onAnswer: (answered: number) => void,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  const deadline = Date.now() + MAX_LOAD_MS;
  let sent = 0;
  const client = async (id: number): Promise<void> => {
    while (sent < MAX_REQUESTS && Date.now() < deadline && !(phase.ended && sent >= MIN_REQUESTS)) {
      sent += 1;
      const n = sent;
      const sentDuring = phase.started && !phase.ended;
      try {
        const answer = await target.callApi(SERVICE, { inputs: `request ${n} from client ${id}: I love it` });
        seen.push({
          status: answer.status,
          servedBy: answer.servedBy,
          duringRollout: sentDuring && !phase.ended,
          ...(answer.status === 200 ? {} : { problem: answer.body.slice(0, 200) }),
        });
      } catch (error) {
        seen.push({ status: 0, servedBy: null, duringRollout: sentDuring, problem: String(error) });
      }
      onAnswer(seen.length);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  return seen;
}

describe('a rollout under load', () => {
  it('switches endpoints while at least 2,000 requests to the edge all succeed from the old or the new endpoint', async () => {
    const v1 = specVersion(1);
    const oldEndpoint = (await cloud.deploy(v1, { rolloutId: rolloutIdFor(v1) })).rolloutId;
    // The new endpoint takes (AWS) 2 h 45 min to create, 10 real seconds, polled every 5 AWS minutes:
    // the load runs through the whole rollout, not only after it.
    const v2 = specVersion(2, (s) => {
      s.rollout = { ...s.rollout, pollIntervalSeconds: 300, maxWaitMinutes: 180 };
    });
    const newEndpoint = rolloutIdFor(v2);
    await cloud.addFaults({
      operation: 'SageMaker.EndpointLifecycle',
      match: { EndpointName: newEndpoint },
      outcome: { creationSeconds: 10_000 },
    });

    let rollout: Promise<RolloutOutcome> | undefined;
    const phase: Phase = { started: false, ended: false };
    const started = Date.now();
    const seen = await load(cloud, phase, (answered) => {
      // Start the rollout once the load is flowing, so the switch happens under it.
      if (rollout === undefined && answered >= 100) {
        phase.started = true;
        rollout = cloud.runRollout(v2, { rolloutId: newEndpoint }).finally(() => {
          phase.ended = true;
        });
        // Awaited below; this only keeps a failed rollout from being an unhandled rejection meanwhile.
        rollout.catch(() => undefined);
      }
    });
    const elapsedMs = Date.now() - started;
    if (rollout === undefined) throw new Error('the load never reached 100 answers');
    const outcome = await rollout;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(phase.ended).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(seen.length).toBeLessThanOrEqual(MAX_REQUESTS);
    expect(elapsedMs).toBeLessThan(MAX_LOAD_MS + 30_000);
    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    expect(seen.filter((s) => s.servedBy !== oldEndpoint && s.servedBy !== newEndpoint)).toEqual([]);
    const counts = {
      old: seen.filter((s) => s.servedBy === oldEndpoint).length,
      new: seen.filter((s) => s.servedBy === newEndpoint).length,
    };
    expect(counts.old).toBeGreaterThan(0);
    expect(counts.new).toBeGreaterThan(0);
    // The switch itself happened under load: answers from both endpoints while the rollout ran.
    const during = seen.filter((s) => s.duringRollout);
    expect(new Set(during.map((s) => s.servedBy))).toEqual(new Set([oldEndpoint, newEndpoint]));
    expect((await cloud.callApi(SERVICE, { inputs: 'after the switch' })).servedBy).toBe(newEndpoint);
  }, 240_000);
});
