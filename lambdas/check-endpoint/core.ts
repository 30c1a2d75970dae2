import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { deployParts } from '../shared/deploy-state';
import { EndpointFailedError, EndpointWaitTimeoutError, InvalidStepInputError } from '../shared/errors';
import { isNotFound } from '../shared/sagemaker-errors';
import type { EndpointStatus, RolloutState } from '../shared/types';

/** What Check Endpoint needs besides the state. */
export interface CheckEndpointDeps {
  readonly sagemaker: SageMakerClient;
}

/** Step name, as in the ASL. */
export const CHECK_ENDPOINT_STEP = 'Check Endpoint';

/** Statuses an endpoint passes through on its way to InService: keep waiting. */
const IN_PROGRESS: ReadonlySet<string> = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

/**
 * One poll of the new endpoint: InService ends the wait, a status still in progress waits again
 * (until the spec's maximum wait), and anything else fails the rollout with what SageMaker said.
 */
export async function checkEndpoint(state: RolloutState, deps: CheckEndpointDeps): Promise<RolloutState> {
  const { spec, resources } = deployParts(state, CHECK_ENDPOINT_STEP);
  const wait = state.wait;
  if (wait === null) {
    throw new InvalidStepInputError(
      `${CHECK_ENDPOINT_STEP} needs state.wait (set by Validate Spec); it is null.`,
    );
  }
  const name = resources.endpointName;
  let status: string;
  let failureReason: string | undefined;
  try {
    const out = await deps.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    status = out.EndpointStatus ?? 'Unknown';
    failureReason = out.FailureReason;
  } catch (error) {
    if (!isNotFound(error, 'endpoint')) throw error;
    throw new EndpointFailedError(
      `Endpoint ${name} no longer exists while the rollout waits for it (was it deleted by hand?). ` +
        'Start the rollout again.',
      { cause: error },
    );
  }
  const attempts = wait.attempts + 1;

  if (status === 'InService') {
    return { ...state, wait: { ...wait, attempts, status: 'InService' } };
  }
  if (status === 'Failed') {
    throw new EndpointFailedError(
      `Endpoint ${name} failed: ${failureReason ?? 'SageMaker gave no FailureReason'}. ` +
        `Check the model id and task (${spec.model.id}, ${spec.model.task}, revision ${spec.model.revision}), ` +
        `the instance type, and the container logs in CloudWatch log group /aws/sagemaker/Endpoints/${name}.`,
    );
  }
  if (IN_PROGRESS.has(status)) {
    if (attempts >= wait.maxAttempts) {
      const waitedMinutes = Math.round((attempts * wait.pollIntervalSeconds) / 60);
      throw new EndpointWaitTimeoutError(
        `Endpoint ${name} was still ${status} after ${attempts} checks (about ${waitedMinutes} min; ` +
          `rollout.maxWaitMinutes is ${spec.rollout.maxWaitMinutes}). Large models take longer to download and load: ` +
          'raise rollout.maxWaitMinutes in the spec, or pick a larger instance type.',
      );
    }
    return { ...state, wait: { ...wait, attempts, status: status as EndpointStatus } };
  }
  throw new EndpointFailedError(
    `Endpoint ${name} is ${status}${failureReason === undefined ? '' : ` (${failureReason})`}, ` +
      'a status it does not reach on its way to InService; something else changed it during the rollout. ' +
      `Look at it in the SageMaker console and at CloudWatch log group /aws/sagemaker/Endpoints/${name}.`,
  );
}
