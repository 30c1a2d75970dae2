import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startDataPlane, type DataPlaneHarness } from './data-plane-harness';

let h: DataPlaneHarness;
let secrets: SecretsManagerClient;

beforeEach(async () => {
  h = await startDataPlane();
  secrets = new SecretsManagerClient(h.client);
});

afterEach(async () => {
  secrets.destroy();
  await h.stop();
});

describe('Secrets Manager', () => {
  it('creates a secret and reads it by name, full ARN and partial ARN', async () => {
    const created = await secrets.send(
      new CreateSecretCommand({
        Name: 'hf-rollout/demo/api-key',
        SecretString: 'k-123',
        Description: 'demo key',
      }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:hf-rollout\/demo\/api-key-[A-Za-z0-9]{6}$/,
    );
    expect(created.VersionId).toEqual(expect.any(String));
    const arn = created.ARN ?? '';
    for (const id of ['hf-rollout/demo/api-key', arn, arn.slice(0, -7)]) {
      const value = await secrets.send(new GetSecretValueCommand({ SecretId: id }));
      expect(value).toMatchObject({
        Name: 'hf-rollout/demo/api-key',
        SecretString: 'k-123',
        VersionStages: ['AWSCURRENT'],
      });
      expect(value.CreatedDate).toBeInstanceOf(Date);
    }
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(described).toMatchObject({ Name: 'hf-rollout/demo/api-key', Description: 'demo key', ARN: arn });
  });

  it('answers ResourceNotFoundException for a missing secret, with AWS message', async () => {
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(secrets.send(new DescribeSecretCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses a second secret of the same name', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'a' }));
    await expect(
      secrets.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'b' })),
    ).rejects.toMatchObject({
      name: 'ResourceExistsException',
      message: 'The operation failed because the secret dup already exists.',
    });
  });
});
