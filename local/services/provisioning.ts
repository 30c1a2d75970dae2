import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_PREFIX, serviceParameterName } from '../../pipeline/names';
import type { ServiceRegistration } from '../../lambdas/shared/types';
import type { LocalServiceResources } from '../planes';
import type { ServiceContext } from '../protocol/types';
import { JsonStore } from '../store';
import type { CloudFrontEmulator } from './cloudfront';
import type { SecretsManagerEmulator } from './secrets-manager';
import type { SsmEmulator } from './ssm';

/**
 * The data half of a serving stack, locally: for each service an API key secret, an origin-verify
 * value, a CloudFront distribution and the SSM registration parameter the pipeline reads. Idempotent
 * and persisted: provisioning again keeps the key, the secret value and the distribution, and repairs
 * whatever is missing (e.g. after one store was emptied).
 */

interface ProvisioningState {
  services: Record<string, LocalServiceResources>;
}

/** What provisioning writes to. */
export interface ProvisioningDeps {
  readonly secrets: SecretsManagerEmulator;
  readonly ssm: SsmEmulator;
  readonly cloudfront: CloudFrontEmulator;
}

const DISTRIBUTION_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A CloudFront-like distribution id (`E` + 13 uppercase letters or digits), the same for a service every time. */
export function distributionIdFor(service: string): string {
  const digest = createHash('sha256').update(`distribution:${service}`).digest();
  let id = 'E';
  for (let i = 0; i < 13; i++)
    id += DISTRIBUTION_ALPHABET.charAt((digest[i] ?? 0) % DISTRIBUTION_ALPHABET.length);
  return id;
}

/** Name of a service's API key secret. */
export function apiKeySecretName(service: string, prefix = DEFAULT_PREFIX): string {
  return `${prefix}/${service}/api-key`;
}

/** Creates and keeps the data resources of services. */
export class ServiceProvisioner {
  private readonly store: JsonStore<ProvisioningState>;

  constructor(
    private readonly ctx: ServiceContext,
    file: string | null,
    private readonly deps: ProvisioningDeps,
    private readonly prefix = DEFAULT_PREFIX,
  ) {
    this.store = new JsonStore<ProvisioningState>(file, () => ({ services: {} }));
  }

  /** Provisions (or re-checks) a service's data resources. */
  provision(service: string, publicUrl: string, proxyFunctionName: string): LocalServiceResources {
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(service)) {
      throw new Error(
        `Service name "${service}" must be lowercase letters, digits and single hyphens, starting with a letter.`,
      );
    }
    const before = this.store.state.services[service];
    const secretName = apiKeySecretName(service, this.prefix);
    let secret = this.deps.secrets.find(secretName);
    const apiKey = before?.apiKey ?? randomBytes(24).toString('base64url');
    if (secret === undefined) {
      secret = this.deps.secrets.create(
        secretName,
        { secretString: apiKey },
        `API key of the ${service} inference API`,
        [{ Key: 'service', Value: service }],
      );
    }
    const distributionId = before?.distributionId ?? distributionIdFor(service);
    this.deps.cloudfront.registerDistribution(distributionId, service);
    const resources: LocalServiceResources = {
      service,
      distributionId,
      apiKey: secret.secretString ?? apiKey,
      apiKeySecretId: secret.arn,
      sagemakerRoleArn: `arn:aws:iam::${this.ctx.accountId}:role/${this.prefix}-${service}-sagemaker`,
      publicUrl: publicUrl.replace(/\/+$/, ''),
      originVerifySecret: before?.originVerifySecret ?? randomBytes(24).toString('base64url'),
    };
    const registration: ServiceRegistration = {
      service,
      proxyFunctionName,
      distributionId: resources.distributionId,
      publicUrl: resources.publicUrl,
      apiKeySecretId: resources.apiKeySecretId,
      sagemakerRoleArn: resources.sagemakerRoleArn,
    };
    this.deps.ssm.put(serviceParameterName(this.prefix, service), JSON.stringify(registration));
    if (JSON.stringify(before) !== JSON.stringify(resources)) {
      this.store.mutate((s) => {
        s.services[service] = resources;
      });
    }
    return resources;
  }

  /** Services provisioned so far, by name. */
  list(): readonly LocalServiceResources[] {
    return Object.values(this.store.state.services).sort((a, b) => (a.service < b.service ? -1 : 1));
  }

  /** Forgets every service. */
  reset(): void {
    this.store.reset();
  }
}
