import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { rolloutStep } from '../shared/step';
import { CREATE_ENDPOINT_STEP, createEndpoint } from './core';

const sagemaker = new SageMakerClient({});

/** Create Endpoint: this rollout's new endpoint (idempotent); the ASL then waits for it. */
export const handler = rolloutStep(CREATE_ENDPOINT_STEP, (state) => createEndpoint(state, { sagemaker }));
