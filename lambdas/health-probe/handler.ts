import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { plainStep } from '../shared/step';
import { healthProbeCore, parseHealthState } from './core';

const secrets = new SecretsManagerClient({});

/** Probe Public API: runs the live deployment's smoke tests through the public URL. */
export const handler = plainStep('Probe Public API', parseHealthState, (state) =>
  healthProbeCore(state, { secrets, fetch, clock: Date.now }),
);
