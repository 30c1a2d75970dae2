import { aggregateTimings, toDeploymentRecord } from '../../../lambdas/shared/record';
import type { RolloutState } from '../../../lambdas/shared/types';
import { deployState, rollbackState, samplePointer } from '../step-fixtures';

const FINISHED = '2025-03-01T12:20:00.000Z';

describe('toDeploymentRecord', () => {
  it('records a successful deploy with its names, model, previous endpoint and timings', () => {
    // Arrange
    const state = deployState({ switched: true, retired: ['endpoint old'] });

    // Act
    const record = toDeploymentRecord(state, FINISHED);

    // Assert
    expect(record).toEqual({
      rolloutId: state.rolloutId,
      kind: 'deploy',
      service: 'sentiment',
      status: 'SUCCEEDED',
      model: {
        id: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
        revision: '714eb0f',
        task: 'text-classification',
      },
      endpointName: state.rolloutId,
      endpointConfigName: state.rolloutId,
      modelName: state.rolloutId,
      imageUri: state.resources?.imageUri,
      previousEndpoint: 'sentiment-distilbert-base-20250220-090000-0f3c',
      requestedBy: 'alice',
      startedAt: '2025-03-01T12:00:00.000Z',
      finishedAt: FINISHED,
      timings: [
        { step: 'Validate Spec', durationMs: 120, runs: 1 },
        { step: 'Acquire Lock', durationMs: 80, runs: 1 },
      ],
      smoke: [],
      publicCheck: null,
      retired: ['endpoint old'],
      warnings: [],
      failure: null,
      rollback: null,
    });
  });

  it('is FAILED exactly when the state carries a failure', () => {
    // Arrange
    const failure = {
      step: 'Check Endpoint',
      error: 'EndpointFailedError',
      cause: '{}',
      summary: 'It failed.',
    };
    const rollback = { restored: false, deleted: ['endpoint x'], problems: [] };

    // Act
    const record = toDeploymentRecord(deployState({ failure, rollback }), FINISHED);

    // Assert
    expect(record.status).toBe('FAILED');
    expect(record.failure).toEqual(failure);
    expect(record.rollback).toEqual(rollback);
  });

  it("records a rollback with its target's names and its reason", () => {
    // Arrange
    const target = samplePointer().previous[0] ?? null;
    const state = rollbackState({ target, pointerBefore: samplePointer() });

    // Act
    const record = toDeploymentRecord(state, FINISHED);

    // Assert
    expect(record).toMatchObject({
      kind: 'rollback',
      endpointName: target?.endpointName,
      model: { id: target?.modelId, revision: 'main', task: 'text-classification' },
      imageUri: null,
      previousEndpoint: samplePointer().current.endpointName,
      reason: 'new model answers too slowly',
    });
  });

  it('turns a failed Retire Old Endpoints into a warning', () => {
    // Arrange
    const state = {
      ...deployState(),
      retireFailure: { Error: 'States.Timeout', Cause: '' },
    } as RolloutState;

    // Act
    const record = toDeploymentRecord(state, FINISHED);

    // Assert
    expect(record.status).toBe('SUCCEEDED');
    expect(record.warnings).toEqual([
      'Retire Old Endpoints failed (States.Timeout: the step ran longer than its TimeoutSeconds); old endpoints may remain and are retired by the next rollout.',
    ]);
  });
});

describe('aggregateTimings', () => {
  it('sums the runs of each step in first-seen order', () => {
    // Arrange
    const at = '2025-03-01T12:00:00.000Z';
    const timings = [
      { step: 'Create Endpoint', startedAt: at, durationMs: 300 },
      { step: 'Check Endpoint', startedAt: at, durationMs: 50 },
      { step: 'Check Endpoint', startedAt: at, durationMs: 70 },
      { step: 'Run Smoke Tests', startedAt: at, durationMs: 900 },
      { step: 'Check Endpoint', startedAt: at, durationMs: 30 },
    ];

    // Act
    const aggregated = aggregateTimings(timings);

    // Assert
    expect(aggregated).toEqual([
      { step: 'Create Endpoint', durationMs: 300, runs: 1 },
      { step: 'Check Endpoint', durationMs: 150, runs: 3 },
      { step: 'Run Smoke Tests', durationMs: 900, runs: 1 },
    ]);
  });
});
