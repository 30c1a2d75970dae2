import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { healthCheckStateMachineName, rolloutStateMachineName, DEFAULT_PREFIX } from './names';
import { readRegistration } from '../lambdas/shared/registration';
import type { ServiceRegistration } from '../lambdas/shared/types';
import { TargetError } from './errors';
import type { LocalCloud } from '../local/cloud';

/**
 * Where commands act: the local cloud (default) or a deployed stack in an AWS account (`--aws`, or
 * ROLLOUT_TARGET=aws). Both are reached with the same SDK clients; only the endpoint and credentials
 * differ, so every command behaves the same on both.
 */

/** SDK clients of a target. */
export interface TargetClients {
  readonly sfn: SFNClient;
  readonly ssm: SSMClient;
  readonly cloudwatch: CloudWatchClient;
  readonly secrets: SecretsManagerClient;
  /** Reads the proxies' environments: what really serves (history's `live`, the console's "Live now"). */
  readonly lambda: LambdaClient;
}

/** A resolved target. */
export interface Target {
  readonly kind: 'local' | 'aws';
  /** One line saying where commands act (printed first by every command). */
  readonly description: string;
  readonly region: string;
  readonly prefix: string;
  readonly rolloutStateMachineArn: string;
  readonly healthCheckStateMachineArn: string;
  readonly clients: TargetClients;
  /** Local only: the AWS API endpoint and the edge URL. */
  readonly local?: { readonly endpoint: string; readonly edgeUrl: string; readonly embedded: boolean };
  /** Makes sure a service can be rolled out (local: provisions it; AWS: its serving stack must exist). */
  ensureService(service: string): Promise<ServiceRegistration>;
  /** Stops what the target started for this command (an embedded local cloud). */
  close(): Promise<void>;
}

/** Options shared by every command. */
export interface TargetOptions {
  readonly aws?: boolean;
  /** AWS region (default: AWS_REGION, then the profile's). */
  readonly region?: string;
  /** Pipeline stack name to read the state machine ARNs from. @default 'HfRollout-Pipeline' */
  readonly stack?: string;
  /** Resource name prefix. @default 'hf-rollout' */
  readonly prefix?: string;
  /** Local cloud data folder. @default '.rollout/local' */
  readonly dataDir?: string;
  /** Local cloud AWS endpoint to use instead of finding or starting one. */
  readonly endpoint?: string;
  /** Start an embedded local cloud when none is running. @default true */
  readonly startLocal?: boolean;
}

/** Default pipeline stack name (stacks/app.ts). */
export const DEFAULT_PIPELINE_STACK = 'HfRollout-Pipeline';

/** Resolves the target of a command. */
export async function resolveTarget(options: TargetOptions): Promise<Target> {
  const aws = options.aws === true || process.env.ROLLOUT_TARGET === 'aws';
  return aws ? awsTarget(options) : localTarget(options);
}

async function awsTarget(options: TargetOptions): Promise<Target> {
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const config = region === undefined ? {} : { region };
  const stack = options.stack ?? DEFAULT_PIPELINE_STACK;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const cfn = new CloudFormationClient(config);
  let outputs: Record<string, string>;
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    outputs = Object.fromEntries(
      (out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
  } catch (error) {
    throw new TargetError(
      `Cannot read stack ${stack} in ${region ?? 'the default region'}: ${(error as Error).message}. ` +
        'Deploy it with `npx cdk deploy --all`, check your AWS credentials and region (--region), or pass --stack.',
      { cause: error },
    );
  } finally {
    cfn.destroy();
  }
  const rollout = outputs.RolloutStateMachineArn;
  const health = outputs.HealthCheckStateMachineArn;
  if (rollout === undefined || health === undefined) {
    throw new TargetError(
      `Stack ${stack} has no RolloutStateMachineArn/HealthCheckStateMachineArn outputs; is it the pipeline stack?`,
    );
  }
  const clients = makeClients(config);
  const resolvedRegion = (await clients.sfn.config.region()) ?? region ?? 'unknown';
  return {
    kind: 'aws',
    description: `Target: AWS (${resolvedRegion}), stack ${stack}, state machine ${rollout}`,
    region: resolvedRegion,
    prefix,
    rolloutStateMachineArn: rollout,
    healthCheckStateMachineArn: health,
    clients,
    ensureService: (service) => readRegistration(clients.ssm, prefix, service),
    close: () => Promise.resolve(destroy(clients)),
  };
}

async function localTarget(options: TargetOptions): Promise<Target> {
  // Loaded lazily: the local cloud (esbuild, the Step Functions engine) is not needed for --aws.
  const { LocalCloud: Cloud, runningCloud, LOCAL_CLOUD_DEFAULTS } = await import('../local/cloud');
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const region = LOCAL_CLOUD_DEFAULTS.region;
  const dataDir = options.dataDir ?? LOCAL_CLOUD_DEFAULTS.dataDir;
  let endpoint: string;
  let edgeUrl: string;
  let embedded: LocalCloud | undefined;
  let how: string;
  if (options.endpoint !== undefined) {
    endpoint = options.endpoint;
    edgeUrl = await edgeOf(endpoint);
    how = 'given by --endpoint';
  } else {
    const running = runningCloud(dataDir);
    if (running !== undefined) {
      endpoint = running.endpoint;
      edgeUrl = running.edgeUrl;
      how = `running (pid ${running.pid})`;
    } else if (options.startLocal === false) {
      throw new TargetError(`No local cloud is running on ${dataDir}; start one with \`npx rollout up\`.`);
    } else {
      try {
        embedded = await Cloud.start({ dataDir });
      } catch (error) {
        throw new TargetError(
          `Cannot start the local cloud: ${(error as Error).message}. If ports ${LOCAL_CLOUD_DEFAULTS.port}/${LOCAL_CLOUD_DEFAULTS.edgePort} are taken, stop what uses them or run \`npx rollout up\` elsewhere.`,
          { cause: error },
        );
      }
      endpoint = embedded.endpoint;
      edgeUrl = embedded.edgeUrl;
      how = 'started for this command; `npx rollout up` keeps one running';
    }
  }
  const account = LOCAL_CLOUD_DEFAULTS.accountId;
  const clients = makeClients({
    region,
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    kind: 'local',
    description: `Target: local cloud at ${endpoint} (${how}; data in ${dataDir})`,
    region,
    prefix,
    rolloutStateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:${rolloutStateMachineName(prefix)}`,
    healthCheckStateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:${healthCheckStateMachineName(prefix)}`,
    clients,
    local: { endpoint, edgeUrl, embedded: embedded !== undefined },
    async ensureService(service) {
      const res = await fetch(`${endpoint}/_local/services`, {
        method: 'POST',
        body: JSON.stringify({ service }),
      });
      if (!res.ok)
        throw new TargetError(`The local cloud could not provision service ${service}: ${await res.text()}`);
      return readRegistration(clients.ssm, prefix, service);
    },
    async close() {
      destroy(clients);
      if (embedded !== undefined) await embedded.stop();
    },
  };
}

async function edgeOf(endpoint: string): Promise<string> {
  try {
    const res = await fetch(`${endpoint}/_local/health`);
    const body = (await res.json()) as { edgeUrl?: string };
    if (typeof body.edgeUrl === 'string') return body.edgeUrl;
  } catch (error) {
    throw new TargetError(`No local cloud answers at ${endpoint}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  throw new TargetError(`${endpoint} is not a local cloud (no edge URL in /_local/health).`);
}

function makeClients(config: ConstructorParameters<typeof SFNClient>[0] & object): TargetClients {
  return {
    sfn: new SFNClient(config),
    ssm: new SSMClient(config),
    cloudwatch: new CloudWatchClient(config),
    secrets: new SecretsManagerClient(config),
    lambda: new LambdaClient(config),
  };
}

function destroy(clients: TargetClients): void {
  clients.sfn.destroy();
  clients.ssm.destroy();
  clients.cloudwatch.destroy();
  clients.secrets.destroy();
  clients.lambda.destroy();
}
