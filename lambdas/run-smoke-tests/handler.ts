import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { rolloutStep } from '../shared/step';
import { runSmokeTestsCore } from './core';

const runtime = new SageMakerRuntimeClient({});

/** Run Smoke Tests: invokes the new endpoint with the spec's smoke tests. */
export const handler = rolloutStep('Run Smoke Tests', (state) =>
  runSmokeTestsCore(state, { runtime, clock: Date.now }),
);
