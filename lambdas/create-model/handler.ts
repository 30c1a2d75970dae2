import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { rolloutStep } from '../shared/step';
import { CREATE_MODEL_STEP, createModel } from './core';

const sagemaker = new SageMakerClient({});

/** Create Model: the SageMaker model for this rollout (idempotent). */
export const handler = rolloutStep(CREATE_MODEL_STEP, (state) => createModel(state, { sagemaker }));
