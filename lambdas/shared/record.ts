import { caughtError, describeCaught } from './failure';
import type { DeploymentRecord, RolloutState } from './types';

/**
 * Builds the Deployment record (the execution's output and a row of history) from the final rollout
 * state. A rollout is FAILED exactly when the state carries a failure.
 */
export function toDeploymentRecord(state: RolloutState, finishedAt: string): DeploymentRecord {
  const names = state.target ?? state.resources;
  const model =
    state.target !== null
      ? { id: state.target.modelId, revision: state.target.modelRevision, task: state.target.task }
      : state.spec !== null
        ? { id: state.spec.model.id, revision: state.spec.model.revision, task: state.spec.model.task }
        : null;
  const retireFailure = caughtError(state, 'retireFailure');
  const warnings =
    retireFailure === undefined
      ? state.warnings
      : [
          ...state.warnings,
          `Retire Old Endpoints failed (${describeCaught(retireFailure)}); old endpoints may remain and are retired by the next rollout.`,
        ];
  return {
    rolloutId: state.rolloutId,
    kind: state.kind,
    service: state.service.service,
    status: state.failure === undefined ? 'SUCCEEDED' : 'FAILED',
    model,
    endpointName: names?.endpointName ?? null,
    endpointConfigName: names?.endpointConfigName ?? null,
    modelName: names?.modelName ?? null,
    imageUri: state.resources?.imageUri ?? null,
    previousEndpoint: state.pointerBefore?.current.endpointName ?? null,
    requestedBy: state.requestedBy,
    ...(state.reason === undefined ? {} : { reason: state.reason }),
    startedAt: state.startedAt,
    finishedAt,
    timings: aggregateTimings(state.timings),
    smoke: state.smoke,
    publicCheck: state.publicCheck,
    retired: state.retired,
    warnings,
    failure: state.failure ?? null,
    rollback: state.rollback ?? null,
    ...(state.repairs === undefined ? {} : { repairs: state.repairs }),
  };
}

/** Sums step timings per step name (Check Endpoint runs once per poll), keeping first-seen order. */
export function aggregateTimings(timings: RolloutState['timings']): DeploymentRecord['timings'] {
  const byStep = new Map<string, { durationMs: number; runs: number }>();
  for (const t of timings) {
    const seen = byStep.get(t.step) ?? { durationMs: 0, runs: 0 };
    byStep.set(t.step, { durationMs: seen.durationMs + t.durationMs, runs: seen.runs + 1 });
  }
  return [...byStep].map(([step, total]) => ({ step, ...total }));
}
