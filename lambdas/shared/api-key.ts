import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidStepInputError } from './errors';

/**
 * Reads the API key viewers send as `x-api-key` from its Secrets Manager secret (null: the API has no
 * key). The secret holds the key as plain text, or as JSON `{"apiKey": "..."}` (the shape the console
 * offers for key/value secrets).
 */
export async function readApiKey(
  secrets: SecretsManagerClient,
  secretId: string | null,
): Promise<string | null> {
  if (secretId === null) return null;
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  const value = out.SecretString;
  if (value === undefined || value === '') {
    throw new InvalidStepInputError(
      `Secret ${secretId} has no SecretString; it must hold the API key as text or as {"apiKey": "..."}.`,
    );
  }
  if (value.trimStart().startsWith('{')) {
    try {
      const parsed = JSON.parse(value) as { apiKey?: unknown };
      if (typeof parsed.apiKey === 'string') return parsed.apiKey;
    } catch {
      // Not JSON after all: a key that starts with "{" is used as it is.
    }
  }
  return value;
}
