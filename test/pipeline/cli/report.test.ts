import type { RolloutDetail } from '../../../pipeline/history';
import type { StepRun } from '../../../pipeline/timeline';
import {
  emptyHistoryMessage,
  printDetail,
  printFailure,
  printHistory,
  HISTORY_WIDTH,
} from '../../../pipeline/cli/report';
import type { Printer } from '../../../pipeline/cli/output';

/** A printer that keeps the lines, without colors. */
function capture(): Printer & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    json: false,
    lines,
    // eslint-disable-next-line no-control-regex -- ANSI color codes are what is stripped
    line: (text = '') => lines.push(...text.replace(/\u001b\[[0-9;]*m/g, '').split('\n')),
    result: () => undefined,
    hints: () => undefined,
    complete: (text) => text,
  };
}

let clock = Date.parse('2026-12-07T10:00:00Z');
function visit(name: string, type: string, ms: number, extra: Partial<StepRun> = {}): StepRun {
  const enteredAt = new Date(clock).toISOString();
  clock += ms;
  return {
    name,
    type,
    enteredAt,
    exitedAt: new Date(clock).toISOString(),
    durationMs: ms,
    attempts: type === 'Task' ? 1 : 0,
    status: 'succeeded',
    error: null,
    cause: null,
    input: undefined,
    output: undefined,
    ...extra,
  };
}

const ID = 'sentiment-distilbert-base-20261207-100000-1a1e';
const SMOKE_MESSAGE =
  `1 of 3 smoke tests failed on endpoint ${ID}, so the API was not switched to it.\n` +
  '- "negative review" (status 200, 88 ms): $[0].label equals: expected "POSITIVE", got "NEGATIVE"\n' +
  'Passed: "positive review", "batch of two".';
const SUMMARY =
  `Run Smoke Tests failed (SmokeTestFailedError): ${SMOKE_MESSAGE.replace(/\n/g, ' ')} ` +
  `The API still serves endpoint sentiment-old. Rolled back: deleted endpoint ${ID}.`;

function failedRollout(): RolloutDetail {
  clock = Date.parse('2026-12-07T10:00:00Z');
  const polls = Array.from({ length: 40 }, () => [
    visit('Wait For Endpoint', 'Wait', 300),
    visit('Check Endpoint', 'Task', 20),
    visit('Endpoint In Service?', 'Choice', 1),
  ]).flat();
  const steps = [
    visit('Create Endpoint', 'Task', 100),
    ...polls,
    visit('Run Smoke Tests', 'Task', 1000, { status: 'failed', error: 'SmokeTestFailedError' }),
    visit('Record Run Smoke Tests Failure', 'Pass', 1),
    visit('Roll Back', 'Task', 700),
    visit('Rollout Failed', 'Fail', 0, { status: 'failed' }),
  ];
  const failure = {
    step: 'Run Smoke Tests',
    error: 'SmokeTestFailedError',
    cause: JSON.stringify({ errorType: 'SmokeTestFailedError', errorMessage: SMOKE_MESSAGE, trace: [] }),
    summary: SUMMARY,
  };
  return {
    rolloutId: ID,
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:hf-rollout-rollout:${ID}`,
    kind: 'deploy',
    service: 'sentiment',
    status: 'FAILED',
    model: {
      id: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
      revision: 'main',
      task: 'text-classification',
    },
    requestedBy: 'root@vm',
    reason: null,
    startedAt: '2026-12-07T10:00:00.000Z',
    finishedAt: '2026-12-07T10:00:15.000Z',
    durationMs: 15_000,
    endpointName: ID,
    previousEndpoint: 'sentiment-old',
    failure: { step: failure.step, error: failure.error, message: SUMMARY },
    live: false,
    outcome: 'rolled back: the API kept serving sentiment-old',
    record: { smoke: [], publicCheck: null, warnings: [], failure } as unknown as RolloutDetail['record'],
    input: {},
    steps,
  };
}

describe('printDetail (rollout status)', () => {
  it('prints one row per step, with the polls of the endpoint wait added up', () => {
    const out = capture();

    printDetail(out, failedRollout());

    const checkRows = out.lines.filter((l) => l.includes('│ Check Endpoint '));
    expect(checkRows).toHaveLength(1);
    expect(checkRows[0]?.split('│').map((c) => c.trim())).toEqual(
      expect.arrayContaining(['Check Endpoint', 'ok', '800 ms', '40']),
    );
    expect(out.lines.filter((l) => l.includes('│ Wait For Endpoint ')).join()).toContain('12.0 s');
    expect(out.lines.join('\n')).not.toContain('Record Run Smoke Tests Failure');
  });

  it('prints one row per poll with --verbose', () => {
    const out = capture();

    printDetail(out, failedRollout(), { verbose: true });

    expect(out.lines.filter((l) => l.includes('│ Check Endpoint '))).toHaveLength(40);
  });

  it('prints no step table after --follow printed the steps', () => {
    const out = capture();

    printDetail(out, failedRollout(), { steps: false });

    expect(out.lines.filter((l) => l.includes('Create Endpoint'))).toEqual([]);
    expect(out.lines.join('\n')).toContain('failed at   Run Smoke Tests (SmokeTestFailedError)');
  });

  it('shows the smoke table of a failed smoke test and says its cause once', () => {
    const out = capture();

    printDetail(out, failedRollout());

    const text = out.lines.join('\n');
    expect(text).toContain('smoke tests (new endpoint):');
    const rows = out.lines.filter((l) => /│ (negative review|positive review|batch of two) /.test(l));
    expect(
      rows.map((l) =>
        l
          .split('│')
          .map((c) => c.trim())
          .slice(1, 3),
      ),
    ).toEqual([
      ['negative review', 'failed'],
      ['positive review', 'passed'],
      ['batch of two', 'passed'],
    ]);
    expect(rows[0]).toContain('expected "POSITIVE", got "NEGATIVE"');
    // The headline names step and error; the per-test lines are in the table: neither repeats.
    expect(text.split('SmokeTestFailedError')).toHaveLength(3); // headline + the step's error cell
    expect(text.split('expected "POSITIVE"')).toHaveLength(2);
    const cause = out.lines.find((l) => l.trimStart().startsWith('cause'));
    expect(cause).toBe(
      `  cause       1 of 3 smoke tests failed on endpoint ${ID}, so the API was not switched to it. ` +
        `The API still serves endpoint sentiment-old. Rolled back: deleted endpoint ${ID}.`,
    );
  });

  it('shows a step the execution ended in as interrupted', () => {
    const r = failedRollout();
    const steps = [
      ...r.steps.slice(0, 2),
      { ...r.steps[2], status: 'failed', interrupted: true, error: 'States.Runtime' },
    ];
    const out = capture();

    printDetail(out, { ...r, steps: steps as StepRun[] });

    const row = out.lines.find((l) => l.includes('│ Check Endpoint '));
    expect(row).toContain('interrupted');
    expect(row).toContain('States.Runtime');
  });
});

describe('printFailure (deploy, rollback)', () => {
  it('prints the cause without the step and error of the headline, and the smoke table', () => {
    const out = capture();

    printFailure(out, failedRollout());

    expect(out.lines[0]).toBe(
      `  1 of 3 smoke tests failed on endpoint ${ID}, so the API was not switched to it. ` +
        `The API still serves endpoint sentiment-old. Rolled back: deleted endpoint ${ID}.`,
    );
    expect(out.lines.some((l) => l.includes('│ negative review │ failed'))).toBe(true);
  });
});

describe('printHistory', () => {
  it(`fits within ${HISTORY_WIDTH} columns`, () => {
    const failed = failedRollout();
    const ok = {
      ...failed,
      rolloutId: 'sentiment-distilbert-base-20261207-090000-0b0b',
      status: 'SUCCEEDED' as const,
      failure: null,
    };
    const out = capture();

    printHistory(out, [failed, ok], 'token');

    expect(out.lines.map((l) => l.length).filter((n) => n > HISTORY_WIDTH)).toEqual([]);
    expect(out.lines.join('\n')).toContain(`${ID}  FAILED`);
    expect(out.lines.join('\n')).toContain('failed at Run Smoke Tests: 1 of 3 smoke tests failed');
  });

  it('says which filter matched nothing', () => {
    expect(emptyHistoryMessage({ service: 'x', status: 'failed' })).toBe('No FAILED rollouts of service x.');
    expect(emptyHistoryMessage({ status: 'ABORTED' })).toBe('No ABORTED rollouts.');
    expect(emptyHistoryMessage({ service: 'x' })).toBe('No rollouts of service x.');
    expect(emptyHistoryMessage({})).toBe('No rollouts yet. Start one with `npx rollout deploy <spec>`.');
  });

  it('prints the filter message for an empty filtered page', () => {
    const out = capture();

    printHistory(out, [], undefined, { service: 'x', status: 'FAILED' });

    expect(out.lines).toEqual(['No FAILED rollouts of service x.']);
  });
});
