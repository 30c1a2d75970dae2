import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { timelineFromHistory } from '../../pipeline/timeline';

let clock = Date.parse('2026-11-22T10:00:00Z');
function ev(type: string, details: Partial<HistoryEvent> = {}, advanceMs = 100): HistoryEvent {
  clock += advanceMs;
  return { type: type as HistoryEvent['type'], timestamp: new Date(clock), id: 0, ...details };
}
const entered = (name: string, kind = 'Task'): HistoryEvent =>
  ev(`${kind}StateEntered`, { stateEnteredEventDetails: { name, input: '{}' } });
const exited = (name: string, kind = 'Task', output = '{}'): HistoryEvent =>
  ev(`${kind}StateExited`, { stateExitedEventDetails: { name, output } });

describe('timelineFromHistory', () => {
  beforeEach(() => {
    clock = Date.parse('2026-11-22T10:00:00Z');
  });

  it('gives each visit its duration and counts Lambda retries', () => {
    const events = [
      ev('ExecutionStarted'),
      entered('Create Model'),
      ev('LambdaFunctionScheduled'),
      ev('LambdaFunctionFailed', {
        lambdaFunctionFailedEventDetails: { error: 'AwsTransientError', cause: '{}' },
      }),
      ev('LambdaFunctionScheduled', {}, 1000),
      ev('LambdaFunctionSucceeded'),
      exited('Create Model', 'Task', '{"ok":true}'),
      entered('Wait For Endpoint', 'Wait'),
    ];

    const steps = timelineFromHistory(events, false);

    expect(steps).toHaveLength(2);
    expect(steps[0]).toMatchObject({
      name: 'Create Model',
      type: 'Task',
      attempts: 2,
      status: 'succeeded',
      durationMs: 1400,
      output: { ok: true },
    });
    expect(steps[1]).toMatchObject({ name: 'Wait For Endpoint', status: 'running', exitedAt: null });
  });

  it('marks a caught failure as failed with its error and cause', () => {
    const events = [
      entered('Check Endpoint'),
      ev('LambdaFunctionScheduled'),
      ev('LambdaFunctionFailed', {
        lambdaFunctionFailedEventDetails: { error: 'EndpointFailedError', cause: '{"errorMessage":"boom"}' },
      }),
      exited('Check Endpoint'),
      entered('Record Check Endpoint Failure', 'Pass'),
      exited('Record Check Endpoint Failure', 'Pass'),
    ];

    const [check] = timelineFromHistory(events, false);

    expect(check).toMatchObject({
      status: 'failed',
      error: 'EndpointFailedError',
      cause: '{"errorMessage":"boom"}',
    });
  });

  it('closes a visit without an exit event when the next state starts (AWS omits exits of caught tasks)', () => {
    const events = [
      entered('Run Smoke Tests'),
      ev('LambdaFunctionScheduled'),
      ev('LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout' } }),
      entered('Record Run Smoke Tests Failure', 'Pass'),
    ];

    const [smoke] = timelineFromHistory(events, false);

    expect(smoke).toMatchObject({ status: 'failed', error: 'States.Timeout', durationMs: 300 });
  });

  it('ends the last visit when the execution is aborted', () => {
    const events = [entered('Wait For Endpoint', 'Wait'), ev('ExecutionAborted')];

    const [wait] = timelineFromHistory(events, true);

    expect(wait).toMatchObject({ status: 'failed', error: 'ExecutionAborted', durationMs: 100 });
  });

  it('shows the step open when the execution failed (a crash) as interrupted, with the execution error and cause', () => {
    const cause = 'The local cloud stopped while this execution was running';
    const events = [
      entered('Create Endpoint'),
      ev('LambdaFunctionScheduled'),
      ev('LambdaFunctionSucceeded'),
      exited('Create Endpoint'),
      entered('Check Endpoint'),
      ev('LambdaFunctionScheduled'),
      ev('ExecutionFailed', { executionFailedEventDetails: { error: 'States.Runtime', cause } }, 1000),
    ];

    const steps = timelineFromHistory(events, true);

    expect(steps.map((s) => [s.name, s.status, s.interrupted ?? false])).toEqual([
      ['Create Endpoint', 'succeeded', false],
      ['Check Endpoint', 'failed', true],
    ]);
    expect(steps[1]).toMatchObject({ error: 'States.Runtime', cause, durationMs: 1100 });
  });

  it('keeps the error of a step that failed uncaught rather than the execution error that followed', () => {
    const events = [
      entered('Release Lock'),
      ev('LambdaFunctionScheduled'),
      ev('LambdaFunctionFailed', {
        lambdaFunctionFailedEventDetails: { error: 'LockLostError', cause: 'x' },
      }),
      ev('ExecutionFailed', { executionFailedEventDetails: { error: 'LockLostError', cause: 'x' } }),
    ];

    const [release] = timelineFromHistory(events, true);

    expect(release).toMatchObject({ status: 'failed', error: 'LockLostError', cause: 'x' });
    expect(release?.interrupted).toBeUndefined();
  });

  it('shows the step open when the execution timed out as failed with States.Timeout', () => {
    const events = [
      entered('Wait For Endpoint', 'Wait'),
      ev('ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'late' } }),
    ];

    const [wait] = timelineFromHistory(events, true);

    expect(wait).toMatchObject({
      status: 'failed',
      interrupted: true,
      error: 'States.Timeout',
      cause: 'late',
    });
  });
});
