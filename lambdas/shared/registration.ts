import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { serviceParameterName } from '../../pipeline/names';
import { ServiceNotFoundError } from './errors';
import type { ServiceRegistration } from './types';

/**
 * Reads how a service is reached (proxy function, CDN, public URL, API key secret, SageMaker role),
 * which its serving stack (or the local cloud) writes to SSM.
 */
export async function readRegistration(
  ssm: SSMClient,
  prefix: string,
  service: string,
): Promise<ServiceRegistration> {
  const name = serviceParameterName(prefix, service);
  let value: string | undefined;
  try {
    value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') {
      throw new ServiceNotFoundError(
        `Service "${service}" is not deployed: SSM parameter ${name} does not exist. ` +
          `Add it to the app's services and run \`npx cdk deploy --all\` (on AWS), or run \`rollout up\` (locally).`,
        { cause: error },
      );
    }
    throw error;
  }
  const parsed = value === undefined ? undefined : (JSON.parse(value) as Partial<ServiceRegistration>);
  if (
    parsed === undefined ||
    typeof parsed.proxyFunctionName !== 'string' ||
    typeof parsed.publicUrl !== 'string' ||
    typeof parsed.sagemakerRoleArn !== 'string'
  ) {
    throw new ServiceNotFoundError(
      `SSM parameter ${name} does not describe a service (proxyFunctionName, publicUrl, sagemakerRoleArn); redeploy the serving stack.`,
    );
  }
  return {
    service,
    proxyFunctionName: parsed.proxyFunctionName,
    distributionId: parsed.distributionId ?? null,
    publicUrl: parsed.publicUrl.replace(/\/+$/, ''),
    apiKeySecretId: parsed.apiKeySecretId ?? null,
    sagemakerRoleArn: parsed.sagemakerRoleArn,
  };
}
