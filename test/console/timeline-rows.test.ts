import type { StepRun } from '../../pipeline/timeline';
import { timelineRows } from '../../pipeline/console/web/timeline-rows';

function run(
  name: string,
  type: string,
  enteredAt: string,
  exitedAt: string | null,
  extra: Partial<StepRun> = {},
): StepRun {
  return {
    name,
    type,
    enteredAt,
    exitedAt,
    durationMs: exitedAt === null ? null : Date.parse(exitedAt) - Date.parse(enteredAt),
    attempts: type === 'Task' ? 1 : 0,
    status: exitedAt === null ? 'running' : 'succeeded',
    error: null,
    cause: null,
    input: undefined,
    output: undefined,
    ...extra,
  };
}

const t = (s: number): string => new Date(Date.UTC(2026, 0, 1, 10, 0, s)).toISOString();

describe('timelineRows', () => {
  it('gives one row per state in first-entered order, counting the visits of a polling loop', () => {
    const rows = timelineRows([
      run('Create Endpoint', 'Task', t(0), t(1)),
      run('Wait For Endpoint', 'Wait', t(1), t(31)),
      run('Check Endpoint', 'Task', t(31), t(32)),
      run('Endpoint In Service?', 'Choice', t(32), t(32)),
      run('Wait For Endpoint', 'Wait', t(32), t(62)),
      run('Check Endpoint', 'Task', t(62), t(63), { attempts: 3 }),
      run('Run Smoke Tests', 'Task', t(63), null),
    ]);

    expect(rows.map((r) => [r.name, r.visits, r.durationMs, r.retries, r.status])).toEqual([
      ['Create Endpoint', 1, 1000, 0, 'succeeded'],
      ['Wait For Endpoint', 2, 60_000, 0, 'succeeded'],
      ['Check Endpoint', 2, 2000, 2, 'succeeded'],
      ['Run Smoke Tests', 1, null, 0, 'running'],
    ]);
    expect(rows[2]).toMatchObject({ enteredAt: t(31), exitedAt: t(63) });
  });

  it('keeps the failure of the last failing visit with its cause', () => {
    const rows = timelineRows([
      run('Check Endpoint', 'Task', t(0), t(1)),
      run('Check Endpoint', 'Task', t(2), t(3), {
        status: 'failed',
        error: 'EndpointFailedError',
        cause: '{"errorMessage":"CUDA out of memory"}',
      }),
    ]);

    expect(rows).toEqual([
      expect.objectContaining({
        name: 'Check Endpoint',
        status: 'failed',
        error: 'EndpointFailedError',
        cause: '{"errorMessage":"CUDA out of memory"}',
      }),
    ]);
  });
});
