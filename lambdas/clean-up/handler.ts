import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { rolloutStep } from '../shared/step';
import { CLEAN_UP_STEP, cleanUp } from './core';

const sagemaker = new SageMakerClient({});

/** Clean Up: deletes the failed rollout's endpoint config and model and writes the failure summary. */
export const handler = rolloutStep(CLEAN_UP_STEP, (state) => cleanUp(state, { sagemaker }));
