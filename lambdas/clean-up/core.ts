import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { deleteEndpointCommand, IN_PROGRESS_STATUSES } from '../check-endpoint-deleted/endpoint-deletion';
import { awsErrorName, errorMessage, isTransientAwsError } from '../shared/errors';
import { caughtError, describeCaught, failureMessage } from '../shared/failure';
import { isNotFound } from '../shared/sagemaker-errors';
import type { EndpointStatus, FailureInfo, RollbackReport, RolloutState } from '../shared/types';

/** What Clean Up needs besides the state. */
export interface CleanUpDeps {
  readonly sagemaker: SageMakerClient;
}

/** Step name, as in the ASL. */
export const CLEAN_UP_STEP = 'Clean Up';

/** Steps at or after the switch: failing there may leave the API half switched. */
const SWITCH_OR_LATER: ReadonlySet<string> = new Set([
  'Switch API Target',
  'Refresh CDN',
  'Verify Public API',
]);

/**
 * After Roll Back: deletes this rollout's endpoint config and model (by this rollout's names only)
 * and writes `failure.summary`, the execution's Cause, as one paragraph a person can act on.
 */
export async function cleanUp(state: RolloutState, deps: CleanUpDeps): Promise<RolloutState> {
  const deleted = [...(state.rollback?.deleted ?? [])];
  const problems = [...(state.rollback?.problems ?? [])];
  const restored = state.rollback?.restored ?? false;
  const endpointName = state.resources?.endpointName;

  const rollbackFailure = caughtError(state, 'rollbackFailure');
  if (rollbackFailure !== undefined) {
    problems.push(
      `Roll Back did not finish (${describeCaught(rollbackFailure)})` +
        (endpointName === undefined
          ? '.'
          : `; endpoint ${endpointName} may remain: check it and delete it (aws sagemaker delete-endpoint --endpoint-name ${endpointName}).`),
    );
  }

  // Roll Back did not restore after (part of) a switch: the API may still use this rollout's endpoint,
  // which needs its config and model, so they stay until a person has put the API back.
  const apiMayServeThisRollout =
    !restored &&
    (state.switched || (state.rollback === undefined && SWITCH_OR_LATER.has(state.failure?.step ?? '')));
  if (state.kind === 'deploy' && state.resources !== null) {
    if (apiMayServeThisRollout) {
      problems.push(
        `Endpoint config and model ${state.resources.modelName} were kept because the API may still use them; ` +
          `run \`rollout rollback ${state.service.service}\`, then delete them.`,
      );
    } else {
      const { endpointConfigName, modelName } = state.resources;
      const remaining = await endpointStillThere(state, deps);
      if (remaining !== null) {
        // The CreateEndpoint reference: never delete a config or model while an endpoint is being
        // created from them; they go once the endpoint is gone.
        problems.push(
          `Endpoint ${remaining.name} still exists (${remaining.status}), so its endpoint config ${endpointConfigName} ` +
            `and model ${modelName} were kept. ${IN_PROGRESS_STATUSES.has(remaining.status as EndpointStatus) ? `Once it has left ${remaining.status}, remove` : 'Remove'} all three in this order: ` +
            `${deleteEndpointCommand(remaining.name)}; wait until aws sagemaker describe-endpoint --endpoint-name ${remaining.name} ` +
            `says it does not exist; aws sagemaker delete-endpoint-config --endpoint-config-name ${endpointConfigName}; ` +
            `aws sagemaker delete-model --model-name ${modelName}.`,
        );
      } else {
        await deleteResource('endpoint configuration', endpointConfigName, deps, deleted, problems);
        await deleteResource('model', modelName, deps, deleted, problems);
      }
    }
  }

  const rollback: RollbackReport = { restored, deleted, problems };
  const failure: FailureInfo = state.failure ?? {
    step: 'An unknown step',
    error: 'UnknownError',
    cause: 'Clean Up ran without state.failure (the state machine and the handlers disagree).',
  };
  return {
    ...state,
    rollback,
    failure: {
      ...failure,
      summary: failureSummary(state, failure, rollback, {
        apiMayServeThisRollout,
        rollBackFinished: rollbackFailure === undefined,
      }),
    },
  };
}

/**
 * The rollout's endpoint when it may still exist: Roll Back's wait for its deletion did not end in
 * "Deleted" (a deadline, a refusal, Roll Back itself failed), and SageMaker still knows it. Null when
 * it is gone, so its config and model can go.
 */
async function endpointStillThere(
  state: RolloutState,
  deps: CleanUpDeps,
): Promise<{ name: string; status: string } | null> {
  const name = state.resources?.endpointName;
  if (name === undefined) return null;
  const confirmedGone =
    state.deletion?.status === 'Deleted' &&
    state.deletion.failureReason === undefined &&
    caughtError(state, 'rollbackFailure') === undefined;
  if (confirmedGone) return null;
  try {
    const out = await deps.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    return { name, status: out.EndpointStatus ?? 'status unknown' };
  } catch (error) {
    if (isNotFound(error, 'endpoint')) return null;
    if (isTransientAwsError(error)) throw error;
    // Unknown: keep the config and model rather than pull them from under a live creation.
    return { name, status: `could not be described: ${awsErrorName(error)}` };
  }
}

/**
 * Deletes one resource; "not found" means this rollout never created it. Transient failures are
 * rethrown so the Task retries (deleting again is safe); others become problems for a person.
 */
async function deleteResource(
  kind: 'endpoint configuration' | 'model',
  name: string,
  deps: CleanUpDeps,
  deleted: string[],
  problems: string[],
): Promise<void> {
  const label = kind === 'model' ? 'model' : 'endpoint config';
  const cli =
    kind === 'model'
      ? `aws sagemaker delete-model --model-name ${name}`
      : `aws sagemaker delete-endpoint-config --endpoint-config-name ${name}`;
  try {
    if (kind === 'model') {
      await deps.sagemaker.send(new DeleteModelCommand({ ModelName: name }));
    } else {
      await deps.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name }));
    }
    deleted.push(`${label} ${name}`);
  } catch (error) {
    if (isNotFound(error, kind)) return;
    if (isTransientAwsError(error)) throw error;
    problems.push(
      `${label} ${name} was not deleted (${awsErrorName(error)}: ${errorMessage(error)}); delete it by hand: ${cli}.`,
    );
  }
}

/** What Clean Up knows about how the rollback went, besides the report. */
export interface SummaryFacts {
  /** Roll Back did not confirm the API is back on what it served before. */
  readonly apiMayServeThisRollout: boolean;
  /** Roll Back (and the wait for the deletion) ended without error. */
  readonly rollBackFinished: boolean;
}

/** "<step> failed (<error>): <message>. The API still serves .... Rolled back: .... Needs attention: ..." */
export function failureSummary(
  state: RolloutState,
  failure: FailureInfo,
  rollback: RollbackReport,
  facts: SummaryFacts,
): string {
  const before = state.pointerBefore?.current;
  const beforeText =
    before === undefined
      ? 'nothing (no earlier deployment)'
      : before.rolloutId === before.endpointName
        ? `endpoint ${before.endpointName}`
        : `endpoint ${before.endpointName} (rollout ${before.rolloutId})`;
  const served = facts.apiMayServeThisRollout
    ? `The API may still serve this rollout's endpoint ${state.target?.endpointName ?? state.rolloutId} ` +
      `(Roll Back did not confirm it restored ${beforeText}).`
    : `The API still serves ${beforeText}.`;

  const undone: string[] = [];
  if (rollback.restored) undone.push(`API target restored to ${beforeText}`);
  if (rollback.deleted.length > 0) undone.push(`deleted ${rollback.deleted.join(', ')}`);
  const nothing = facts.rollBackFinished
    ? 'nothing to undo (nothing was switched or created)'
    : 'nothing confirmed (Roll Back did not finish)';
  const rolledBack = `Rolled back: ${undone.length > 0 ? undone.join('; ') : nothing}.`;

  const parts = [
    sentence(`${failure.step} failed (${failure.error}): ${failureMessage(failure.error, failure.cause)}`),
    served,
    rolledBack,
  ];
  if (rollback.problems.length > 0) {
    parts.push(`Needs attention: ${rollback.problems.map(sentence).join(' ')}`);
  }
  return parts.join(' ');
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
