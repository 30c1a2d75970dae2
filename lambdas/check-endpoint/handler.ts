import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { rolloutStep } from '../shared/step';
import { CHECK_ENDPOINT_STEP, checkEndpoint } from './core';

const sagemaker = new SageMakerClient({});

/** Check Endpoint: one poll of the new endpoint's status. */
export const handler = rolloutStep(CHECK_ENDPOINT_STEP, (state) => checkEndpoint(state, { sagemaker }));
