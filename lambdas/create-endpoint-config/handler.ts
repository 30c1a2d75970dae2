import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { rolloutStep } from '../shared/step';
import { CREATE_ENDPOINT_CONFIG_STEP, createEndpointConfig } from './core';

const sagemaker = new SageMakerClient({});

/** Create Endpoint Config: instances or serverless settings for this rollout's model (idempotent). */
export const handler = rolloutStep(CREATE_ENDPOINT_CONFIG_STEP, (state) =>
  createEndpointConfig(state, { sagemaker }),
);
