import { jsonService } from '../protocol/aws-json';
import { AwsError } from '../protocol/errors';
import type { LocalService, ServiceContext } from '../protocol/types';
import { JsonStore } from '../store';
import { optionalBoolean, optionalList, optionalNumber, optionalString, objectList } from './input';
import { paginate } from './pagination';

/**
 * SSM Parameter Store (awsJson1_1, `X-Amz-Target: AmazonSSM.<Operation>`): String, StringList and
 * SecureString parameters with versions, overwrite rules, tier limits and path queries.
 */

/** One version of a parameter. */
export interface ParameterVersion {
  readonly version: number;
  readonly value: string;
  readonly type: ParameterType;
  /** Epoch milliseconds. */
  readonly modifiedAt: number;
  readonly description?: string;
}

/** A stored parameter: its versions, newest last (AWS keeps the last 100). */
export interface ParameterRecord {
  readonly name: string;
  readonly tier: 'Standard' | 'Advanced';
  readonly dataType: string;
  readonly versions: readonly ParameterVersion[];
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
}

/** SSM parameter types. */
export type ParameterType = 'String' | 'StringList' | 'SecureString';

interface SsmState {
  parameters: Record<string, ParameterRecord>;
}

const TYPES: readonly ParameterType[] = ['String', 'StringList', 'SecureString'];
const MAX_VERSIONS = 100;
/** Value limits in bytes of UTF-8 ("4 KB" / "8 KB" in the PutParameter reference). */
const TIER_LIMITS = { Standard: 4096, Advanced: 8192 } as const;
const TIERS = ['Advanced', 'Intelligent-Tiering', 'Standard'] as const;

/** The emulated SSM Parameter Store. */
export class SsmEmulator {
  /** The awsJson service for the AWS API port. */
  readonly service: LocalService;
  private readonly store: JsonStore<SsmState>;

  constructor(
    private readonly ctx: ServiceContext,
    file: string | null,
  ) {
    this.store = new JsonStore<SsmState>(file, () => ({ parameters: {} }));
    this.service = jsonService({
      id: 'SSM',
      targetPrefix: 'AmazonSSM',
      protocol: '1.1',
      ctx,
      operations: {
        GetParameter: (i) => this.getParameter(i),
        GetParameters: (i) => this.getParameters(i),
        PutParameter: (i) => this.putParameter(i),
        DeleteParameter: (i) => this.deleteParameter(i),
        GetParametersByPath: (i) => this.getParametersByPath(i),
        DescribeParameters: (i) => this.describeParameters(i),
      },
    });
  }

  private arn(name: string): string {
    return `arn:aws:ssm:${this.ctx.region}:${this.ctx.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  /** Resolves `name`, `name:version` (a selector); undefined when the parameter does not exist. */
  private find(
    selector: string,
  ): { record: ParameterRecord; version: ParameterVersion; selector?: string } | undefined {
    const colon = selector.lastIndexOf(':');
    const hasVersion = colon > 0 && /^\d+$/.test(selector.slice(colon + 1));
    const name = hasVersion ? selector.slice(0, colon) : selector;
    const record = this.store.state.parameters[name];
    if (record === undefined) return undefined;
    if (!hasVersion) {
      const latest = record.versions[record.versions.length - 1];
      return latest === undefined ? undefined : { record, version: latest };
    }
    const wanted = Number(selector.slice(colon + 1));
    const version = record.versions.find((v) => v.version === wanted);
    if (version === undefined) {
      throw new AwsError(
        'ParameterVersionNotFound',
        `Systems Manager could not find version ${wanted} of ${name}. Verify the version and try again.`,
      );
    }
    return { record, version, selector: `:${wanted}` };
  }

  private view(
    record: ParameterRecord,
    version: ParameterVersion,
    decrypt: boolean,
    selector?: string,
  ): unknown {
    return {
      Name: record.name,
      Type: version.type,
      // Without WithDecryption AWS returns the KMS ciphertext; this stands for it and is not the value.
      Value:
        version.type === 'SecureString' && !decrypt
          ? Buffer.from(`local-kms:alias/aws/ssm:${version.value}`).toString('base64')
          : version.value,
      Version: version.version,
      ...(selector === undefined ? {} : { Selector: selector }),
      LastModifiedDate: version.modifiedAt / 1000,
      ARN: this.arn(record.name),
      DataType: record.dataType,
    };
  }

  private getParameter(input: Readonly<Record<string, unknown>>): unknown {
    const name = requiredName(input);
    const found = this.find(name);
    if (found === undefined) throw notFound(name);
    return {
      Parameter: this.view(
        found.record,
        found.version,
        optionalBoolean(input, 'WithDecryption') === true,
        found.selector,
      ),
    };
  }

  private getParameters(input: Readonly<Record<string, unknown>>): unknown {
    const names = (optionalList(input, 'Names') ?? []).filter((n): n is string => typeof n === 'string');
    if (names.length === 0 || names.length > 10) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length ${names.length === 0 ? 'greater than or equal to 1' : 'less than or equal to 10'}`,
      );
    }
    const decrypt = optionalBoolean(input, 'WithDecryption') === true;
    const parameters: unknown[] = [];
    const invalid: string[] = [];
    for (const name of names) {
      let found;
      try {
        found = this.find(name);
      } catch {
        found = undefined;
      }
      if (found === undefined) invalid.push(name);
      else parameters.push(this.view(found.record, found.version, decrypt, found.selector));
    }
    return { Parameters: parameters, InvalidParameters: invalid };
  }

  private putParameter(input: Readonly<Record<string, unknown>>): unknown {
    const name = requiredName(input);
    const value = optionalString(input, 'Value');
    if (value === undefined || value === '') {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value ${value === undefined ? 'null' : "''"} at 'value' failed to satisfy constraint: ` +
          (value === undefined
            ? 'Member must not be null'
            : 'Member must have length greater than or equal to 1'),
      );
    }
    const type = optionalString(input, 'Type') as ParameterType | undefined;
    if (type !== undefined && !TYPES.includes(type)) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
      );
    }
    const overwrite = optionalBoolean(input, 'Overwrite') === true;
    const tags = objectList(input, 'Tags').map((t) => ({
      Key: optionalString(t, 'Key') ?? '',
      Value: optionalString(t, 'Value') ?? '',
    }));
    if (overwrite && tags.length > 0) {
      throw new AwsError(
        'ValidationException',
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. " +
          'To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.',
      );
    }
    const existing = this.store.state.parameters[name];
    const tier = effectiveTier(optionalString(input, 'Tier'), existing?.tier, value);
    if (existing !== undefined && !overwrite) {
      throw new AwsError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    if (existing === undefined && type === undefined) {
      throw new AwsError('ValidationException', 'A parameter type is required when you create a parameter.');
    }
    const description = optionalString(input, 'Description');
    return this.store.mutate((s) => {
      const latest = existing?.versions[existing.versions.length - 1];
      const version: ParameterVersion = {
        version: (latest?.version ?? 0) + 1,
        value,
        type: type ?? latest?.type ?? 'String',
        modifiedAt: this.ctx.clock.now().getTime(),
        ...(description === undefined
          ? latest?.description === undefined
            ? {}
            : { description: latest.description }
          : { description }),
      };
      s.parameters[name] = {
        name,
        tier,
        dataType: optionalString(input, 'DataType') ?? existing?.dataType ?? 'text',
        versions: [...(existing?.versions ?? []), version].slice(-MAX_VERSIONS),
        tags: existing?.tags ?? tags,
      };
      return { Version: version.version, Tier: tier };
    });
  }

  private deleteParameter(input: Readonly<Record<string, unknown>>): unknown {
    const name = requiredName(input);
    return this.store.mutate((s) => {
      if (s.parameters[name] === undefined) throw notFound(name);
      delete s.parameters[name];
      return {};
    });
  }

  private getParametersByPath(input: Readonly<Record<string, unknown>>): unknown {
    const path = optionalString(input, 'Path');
    if (path === undefined || !path.startsWith('/')) {
      throw new AwsError(
        'ValidationException',
        `The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". ` +
          `It can't be prefixed with "aws" or "ssm" (case-insensitive).`,
      );
    }
    const maxResults = optionalNumber(input, 'MaxResults') ?? 10;
    if (maxResults < 1 || maxResults > 10) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value ${maxResults < 1 ? 'greater than or equal to 1' : 'less than or equal to 10'}`,
      );
    }
    const recursive = optionalBoolean(input, 'Recursive') === true;
    const decrypt = optionalBoolean(input, 'WithDecryption') === true;
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const matching = Object.values(this.store.state.parameters)
      .filter((p) => p.name.startsWith(prefix) && (recursive || !p.name.slice(prefix.length).includes('/')))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const page = paginate(
      matching,
      maxResults,
      optionalString(input, 'NextToken'),
      `path:${prefix}:${recursive}`,
    );
    return {
      Parameters: page.items.flatMap((p) => {
        const latest = p.versions[p.versions.length - 1];
        return latest === undefined ? [] : [this.view(p, latest, decrypt)];
      }),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  private describeParameters(input: Readonly<Record<string, unknown>>): unknown {
    const maxResults = optionalNumber(input, 'MaxResults') ?? 50;
    if (maxResults < 1 || maxResults > 50) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50`,
      );
    }
    const filters = objectList(input, 'ParameterFilters').map((f) => ({
      key: optionalString(f, 'Key') ?? '',
      option: optionalString(f, 'Option') ?? 'Equals',
      values: (optionalList(f, 'Values') ?? []).filter((v): v is string => typeof v === 'string'),
    }));
    const keep = (p: ParameterRecord): boolean =>
      filters.every(({ key, option, values }) => {
        const latest = p.versions[p.versions.length - 1];
        if (key === 'Name') {
          return values.some((v) =>
            option === 'BeginsWith'
              ? p.name.startsWith(v)
              : option === 'Contains'
                ? p.name.includes(v)
                : p.name === v,
          );
        }
        if (key === 'Type') return values.includes(latest?.type ?? '');
        if (key === 'Tier') return values.includes(p.tier);
        if (key === 'Path') {
          return values.some((v) => {
            const prefix = v.endsWith('/') ? v : `${v}/`;
            return (
              p.name.startsWith(prefix) &&
              (option === 'Recursive' || !p.name.slice(prefix.length).includes('/'))
            );
          });
        }
        throw new AwsError(
          'InvalidFilterKey',
          `The local cloud does not emulate the DescribeParameters filter key ${key}.`,
        );
      });
    const matching = Object.values(this.store.state.parameters)
      .filter(keep)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const page = paginate(
      matching,
      maxResults,
      optionalString(input, 'NextToken'),
      `describe:${JSON.stringify(filters)}`,
    );
    return {
      Parameters: page.items.map((p) => {
        const latest = p.versions[p.versions.length - 1];
        return {
          Name: p.name,
          ARN: this.arn(p.name),
          Type: latest?.type,
          LastModifiedDate: (latest?.modifiedAt ?? 0) / 1000,
          LastModifiedUser: `arn:aws:iam::${this.ctx.accountId}:root`,
          Version: latest?.version,
          Tier: p.tier,
          DataType: p.dataType,
          Policies: [],
          ...(latest?.description === undefined ? {} : { Description: latest.description }),
        };
      }),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  /** Writes a parameter from inside the cloud (service provisioning), as PutParameter with Overwrite would. */
  put(name: string, value: string, type: ParameterType = 'String'): void {
    const current = this.find(name);
    if (current?.version.value === value && current.version.type === type) return;
    this.putParameter({ Name: name, Value: value, Type: type, Overwrite: true });
  }

  /** Parameter names, types and versions. */
  inventory(): Record<string, unknown> {
    return {
      parameters: Object.values(this.store.state.parameters).map((p) => ({
        name: p.name,
        type: p.versions[p.versions.length - 1]?.type,
        version: p.versions[p.versions.length - 1]?.version,
      })),
    };
  }

  /** Empties the store. */
  reset(): void {
    this.store.reset();
  }
}

function requiredName(input: Readonly<Record<string, unknown>>): string {
  const name = optionalString(input, 'Name');
  if (name === undefined || name === '') {
    throw new AwsError(
      'ValidationException',
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
  }
  return name;
}

function notFound(name: string): AwsError {
  return new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
}

/**
 * The tier a PutParameter stores, or AWS's refusal (PutParameter reference, `Tier` and `Value`):
 * - no Tier means the account's default tier, Standard;
 * - Standard: at most 4 KB, and never for a parameter that is already Advanced (no downgrade);
 * - Advanced: at most 8 KB;
 * - Intelligent-Tiering: Standard when the value fits it and the parameter is not Advanced yet,
 *   otherwise Advanced (then at most 8 KB).
 */
function effectiveTier(
  requested: string | undefined,
  current: 'Standard' | 'Advanced' | undefined,
  value: string,
): 'Standard' | 'Advanced' {
  if (requested !== undefined && !(TIERS as readonly string[]).includes(requested)) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${requested}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [${TIERS.join(', ')}]`,
    );
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  const tier =
    requested === 'Advanced' ||
    (requested === 'Intelligent-Tiering' && (current === 'Advanced' || bytes > TIER_LIMITS.Standard))
      ? 'Advanced'
      : 'Standard';
  if (tier === 'Standard' && current === 'Advanced') {
    throw new AwsError(
      'ValidationException',
      "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. " +
        'If necessary, you can delete the advanced parameter and recreate it as a standard parameter.',
    );
  }
  if (bytes > TIER_LIMITS[tier]) {
    throw new AwsError(
      'ValidationException',
      tier === 'Standard'
        ? 'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, ' +
            'upgrade the parameter to use the advanced-parameter tier. For more information, see ' +
            'https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html'
        : 'Advanced tier parameters support a maximum parameter value of 8192 characters.',
    );
  }
  return tier;
}
