import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { rolloutStep } from '../shared/step';
import { verifyPublicApiCore } from './core';

const secrets = new SecretsManagerClient({});
const sfn = new SFNClient({});

/** Verify Public API: sends a real prediction through the public URL and checks the target answered it. */
export const handler = rolloutStep('Verify Public API', (state) =>
  verifyPublicApiCore(state, { secrets, sfn, fetch, clock: Date.now, sleep: (ms) => sleep(ms) }),
);
