import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { rolloutStep } from '../shared/step';
import { CHECK_ENDPOINT_DELETED_STEP, checkEndpointDeleted } from './core';

const sagemaker = new SageMakerClient({});

/** Check Endpoint Deleted: one poll until the rolled-back endpoint is gone. */
export const handler = rolloutStep(CHECK_ENDPOINT_DELETED_STEP, (state) =>
  checkEndpointDeleted(state, { sagemaker }),
);
