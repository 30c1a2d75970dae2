import { join } from 'node:path';
import { DEFAULT_PREFIX, lockTableName, notificationTopicName } from '../../pipeline/names';
import type { DataPlane, PlaneOptions } from '../planes';
import { CloudFrontEmulator } from './cloudfront';
import { CloudWatchEmulator } from './cloudwatch';
import { DynamoDbEmulator } from './dynamodb';
import { ServiceProvisioner } from './provisioning';
import { SageMakerEmulator } from './sagemaker';
import { SageMakerRuntimeEmulator } from './sagemaker-runtime';
import { SecretsManagerEmulator } from './secrets-manager';
import { SnsEmulator } from './sns';
import { SsmEmulator } from './ssm';

/**
 * Creates the data plane (see planes.ts): one emulator per AWS service, each with its own store
 * (`<dataDir>/<service>.json`, or memory when dataDir is null), wired to each other only where AWS
 * wires them (SageMaker Runtime serves SageMaker's endpoints; provisioning writes secrets, SSM and
 * CloudFront). The notification topic and the lock table exist from the start, as the stacks make them.
 */
export function createDataPlane(options: PlaneOptions): DataPlane {
  const { ctx, dataDir } = options;
  const file = (name: string): string | null => (dataDir === null ? null : join(dataDir, `${name}.json`));
  const sagemaker = new SageMakerEmulator(ctx, file('sagemaker'));
  const runtime = new SageMakerRuntimeEmulator(ctx, file('sagemaker-runtime'), sagemaker);
  const ssm = new SsmEmulator(ctx, file('ssm'));
  const sns = new SnsEmulator(ctx, file('sns'), [notificationTopicName(DEFAULT_PREFIX)]);
  const dynamodb = new DynamoDbEmulator(ctx, file('dynamodb'), [
    {
      name: lockTableName(DEFAULT_PREFIX),
      key: [{ AttributeName: 'service', KeyType: 'HASH', AttributeType: 'S' }],
    },
  ]);
  const secrets = new SecretsManagerEmulator(ctx, file('secretsmanager'));
  const cloudfront = new CloudFrontEmulator(ctx, file('cloudfront'));
  const cloudwatch = new CloudWatchEmulator(ctx, file('cloudwatch'));
  const provisioner = new ServiceProvisioner(ctx, file('provisioned-services'), { secrets, ssm, cloudfront });
  const emulators = [sagemaker, runtime, ssm, sns, dynamodb, secrets, cloudfront, cloudwatch];

  return {
    services: [...emulators.map((e) => e.service), cloudwatch.cborService],
    onInvalidation: (listener) => cloudfront.onInvalidation(listener),
    ingestLog: (functionName, line) => {
      cloudwatch.ingestLog(functionName, line);
    },
    provisionService: (service, publicUrl, proxyFunctionName) =>
      provisioner.provision(service, publicUrl, proxyFunctionName),
    provisionedServices: () => provisioner.list(),
    putMetricAlarm: (config) => cloudwatch.putMetricAlarm(config),
    evaluateAlarms: () => {
      const transitions = cloudwatch.evaluateAlarms();
      for (const t of transitions) {
        for (const action of t.actions) {
          if (!action.startsWith('arn:aws:sns:')) continue;
          try {
            sns.publishFromService(action, t.subject, t.message);
          } catch (error) {
            // CloudWatch records a failed action in the alarm's history and keeps the new state.
            console.error(
              `[local] alarm ${t.alarmName}: cannot publish to ${action}: ${(error as Error).message}`,
            );
          }
        }
      }
      return transitions;
    },
    inventory: () => ({
      sagemaker: { ...sagemaker.inventory(), ...runtime.inventory() },
      ssm: ssm.inventory(),
      sns: sns.inventory(),
      dynamodb: dynamodb.inventory(),
      secretsManager: secrets.inventory(),
      cloudfront: cloudfront.inventory(),
      cloudwatch: cloudwatch.inventory(),
      provisionedServices: provisioner.list().map((r) => r.service),
    }),
    reset: () => {
      for (const e of emulators) e.reset();
      provisioner.reset();
    },
    // Nothing runs in the background: every lifecycle is computed from stored timestamps.
    close: () => Promise.resolve(),
  };
}
