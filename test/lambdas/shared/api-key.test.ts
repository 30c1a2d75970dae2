import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readApiKey } from '../../../lambdas/shared/api-key';
import { InvalidStepInputError } from '../../../lambdas/shared/errors';

const secretsMock = mockClient(SecretsManagerClient);
const secrets = new SecretsManagerClient({});

beforeEach(() => secretsMock.reset());

describe('readApiKey', () => {
  it('reads a plain-text key', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'k-123' });

    await expect(readApiKey(secrets, 'sentiment-key')).resolves.toBe('k-123');
    expect(secretsMock).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'sentiment-key' });
  });

  it('reads the apiKey field of a key/value secret', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"apiKey":"k-456"}' });

    await expect(readApiKey(secrets, 'sentiment-key')).resolves.toBe('k-456');
  });

  it('returns null without calling Secrets Manager when the API has no key', async () => {
    await expect(readApiKey(secrets, null)).resolves.toBeNull();
    expect(secretsMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects a secret without a string value', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });

    await expect(readApiKey(secrets, 'sentiment-key')).rejects.toThrow(InvalidStepInputError);
  });
});
