import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { rolloutStep } from '../shared/step';
import { verifyPublicApiCore } from './core';

const secrets = new SecretsManagerClient({});

/** Verify Public API: checks the public URL answers from the target endpoint. */
export const handler = rolloutStep('Verify Public API', (state) =>
  verifyPublicApiCore(state, { secrets, fetch, clock: Date.now, sleep: (ms) => sleep(ms) }),
);
