import type { RolloutSpec } from '../../pipeline/spec/schema';
import { InvalidStepInputError } from './errors';
import type { RolloutResources, RolloutState } from './types';

/** The parts of a deploy rollout's state that the create/check steps need. */
export interface DeployParts {
  readonly spec: RolloutSpec;
  readonly resources: RolloutResources;
}

/**
 * Returns the spec and resource names of a deploy rollout, or fails naming the step: the ASL only
 * routes deploy rollouts to these steps, so anything else means the ASL and the handlers disagree.
 */
export function deployParts(state: RolloutState, step: string): DeployParts {
  if (state.kind !== 'deploy' || state.spec === null || state.resources === null) {
    throw new InvalidStepInputError(
      `${step} needs a deploy rollout with spec and resources (set by Validate Spec); got kind "${state.kind}" ` +
        `with spec ${state.spec === null ? 'null' : 'set'} and resources ${state.resources === null ? 'null' : 'set'}.`,
    );
  }
  return { spec: state.spec, resources: state.resources };
}
