import { randomBytes, randomUUID } from 'node:crypto';
import { jsonService } from '../protocol/aws-json';
import { AwsError } from '../protocol/errors';
import type { LocalService, ServiceContext } from '../protocol/types';
import { JsonStore } from '../store';
import { objectList, optionalString } from './input';

/**
 * Secrets Manager (awsJson1_1, `X-Amz-Target: secretsmanager.<Operation>`): secrets with one current
 * version, looked up by name, full ARN or partial ARN (without the random suffix), as AWS does.
 */

/** A stored secret. */
export interface SecretRecord {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly secretString?: string;
  /** Base64, as on the wire. */
  readonly secretBinary?: string;
  readonly versionId: string;
  readonly createdAt: number;
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
}

interface SecretsState {
  secrets: Record<string, SecretRecord>;
}

const NOT_FOUND = "Secrets Manager can't find the specified secret.";

/** The emulated Secrets Manager. */
export class SecretsManagerEmulator {
  /** The awsJson service for the AWS API port. */
  readonly service: LocalService;
  private readonly store: JsonStore<SecretsState>;

  constructor(
    private readonly ctx: ServiceContext,
    file: string | null,
  ) {
    this.store = new JsonStore<SecretsState>(file, () => ({ secrets: {} }));
    this.service = jsonService({
      id: 'SecretsManager',
      targetPrefix: 'secretsmanager',
      protocol: '1.1',
      ctx,
      // Secrets (the API keys) go only to signed callers: a page in a browser cannot sign.
      requireSigV4: true,
      operations: {
        CreateSecret: (i) => this.createSecret(i),
        GetSecretValue: (i) => this.getSecretValue(i),
        DescribeSecret: (i) => this.describeSecret(i),
      },
    });
  }

  /** Creates a secret (used by the API and by service provisioning); returns it. */
  create(
    name: string,
    value: { secretString?: string; secretBinary?: string },
    description?: string,
    tags: SecretRecord['tags'] = [],
  ): SecretRecord {
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw new AwsError(
        'ValidationException',
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    // Like AWS, ARNs end with "-" and six random characters, so a re-created secret has a new ARN.
    const suffix = randomBytes(6)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, 'x')
      .slice(0, 6);
    const record: SecretRecord = {
      name,
      arn: `arn:aws:secretsmanager:${this.ctx.region}:${this.ctx.accountId}:secret:${name}-${suffix}`,
      ...(description === undefined ? {} : { description }),
      ...(value.secretString === undefined ? {} : { secretString: value.secretString }),
      ...(value.secretBinary === undefined ? {} : { secretBinary: value.secretBinary }),
      versionId: randomUUID(),
      createdAt: this.ctx.clock.now().getTime(),
      tags,
    };
    return this.store.mutate((s) => {
      if (s.secrets[name] !== undefined) {
        throw new AwsError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      s.secrets[name] = record;
      return record;
    });
  }

  /** The secret named by a name, a full ARN or a partial ARN, if it exists. */
  find(secretId: string): SecretRecord | undefined {
    const secrets = Object.values(this.store.state.secrets);
    return secrets.find(
      (s) =>
        s.name === secretId ||
        s.arn === secretId ||
        (secretId.startsWith('arn:') && s.arn.slice(0, -7) === secretId),
    );
  }

  private createSecret(input: Readonly<Record<string, unknown>>): unknown {
    const name = optionalString(input, 'Name');
    if (name === undefined) {
      throw new AwsError(
        'ValidationException',
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
      );
    }
    const secretString = optionalString(input, 'SecretString');
    const secretBinary = optionalString(input, 'SecretBinary');
    if (secretString !== undefined && secretBinary !== undefined) {
      throw new AwsError(
        'InvalidParameterException',
        "You can't specify both a binary secret value and a string secret value in the same secret.",
      );
    }
    const tags = objectList(input, 'Tags').map((t) => ({
      Key: optionalString(t, 'Key') ?? '',
      Value: optionalString(t, 'Value') ?? '',
    }));
    const record = this.create(
      name,
      {
        ...(secretString === undefined ? {} : { secretString }),
        ...(secretBinary === undefined ? {} : { secretBinary }),
      },
      optionalString(input, 'Description'),
      tags,
    );
    return {
      ARN: record.arn,
      Name: record.name,
      ...(secretString === undefined && secretBinary === undefined ? {} : { VersionId: record.versionId }),
    };
  }

  private secretOf(input: Readonly<Record<string, unknown>>): SecretRecord {
    const id = optionalString(input, 'SecretId');
    if (id === undefined) {
      throw new AwsError(
        'ValidationException',
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
      );
    }
    const secret = this.find(id);
    if (secret === undefined) throw new AwsError('ResourceNotFoundException', NOT_FOUND, 400);
    return secret;
  }

  private getSecretValue(input: Readonly<Record<string, unknown>>): unknown {
    const secret = this.secretOf(input);
    const versionId = optionalString(input, 'VersionId');
    const stage = optionalString(input, 'VersionStage');
    if (
      (versionId !== undefined && versionId !== secret.versionId) ||
      (stage !== undefined && stage !== 'AWSCURRENT')
    ) {
      throw new AwsError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for " +
          (versionId !== undefined ? `VersionId: ${versionId}` : `staging label: ${stage ?? ''}`),
        400,
      );
    }
    if (secret.secretString === undefined && secret.secretBinary === undefined) {
      throw new AwsError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        400,
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      ...(secret.secretString === undefined ? {} : { SecretString: secret.secretString }),
      ...(secret.secretBinary === undefined ? {} : { SecretBinary: secret.secretBinary }),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdAt / 1000,
    };
  }

  private describeSecret(input: Readonly<Record<string, unknown>>): unknown {
    const secret = this.secretOf(input);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description === undefined ? {} : { Description: secret.description }),
      CreatedDate: secret.createdAt / 1000,
      LastChangedDate: secret.createdAt / 1000,
      Tags: secret.tags,
      VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
    };
  }

  /** Secret names and ARNs (never values). */
  inventory(): Record<string, unknown> {
    return { secrets: Object.values(this.store.state.secrets).map((s) => ({ name: s.name, arn: s.arn })) };
  }

  /** Empties the store. */
  reset(): void {
    this.store.reset();
  }
}
