import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { installNode20Polyfills } from '../../../local/cloud';
import { Clock } from '../../../local/clock';
import { FaultEngine } from '../../../local/faults';
import type { DataPlane, LocalServiceResources } from '../../../local/planes';
import type { LocalService, ServiceContext } from '../../../local/protocol/types';
import { close, createAwsServer, listen } from '../../../local/server';
import {
  sharedBundleDir,
  createComputePlane,
  type ComputePlaneOptions,
  type LocalComputePlane,
} from '../../../local/services/compute-plane';

/** Repository root. */
export const ROOT = join(__dirname, '..', '..', '..');

/** Fixture function whose behaviour the event chooses. */
export const BEHAVIOUR_ENTRY = 'test/fixtures/functions/behaviour.ts';
/** Fixture stand-in for the inference proxy behind the edge. */
export const PROXY_FIXTURE_ENTRY = 'test/fixtures/functions/proxy-fixture.ts';

/** A DataPlane stand-in that records what the compute plane hands it. */
export interface FakeDataPlane extends DataPlane {
  readonly logLines: { functionName: string; line: string }[];
  readonly provisioned: Map<string, LocalServiceResources>;
  /** Fires a CloudFront invalidation, as the data plane does on CreateInvalidation. */
  invalidate(distributionId: string, paths: readonly string[]): void;
}

/** A fake data plane: provisioning gives deterministic resources; logs are recorded. */
export function fakeDataPlane(): FakeDataPlane {
  const listeners: ((id: string, paths: readonly string[]) => void)[] = [];
  const logLines: { functionName: string; line: string }[] = [];
  const provisioned = new Map<string, LocalServiceResources>();
  return {
    services: [],
    logLines,
    provisioned,
    onInvalidation: (listener) => listeners.push(listener),
    invalidate: (id, paths) => listeners.forEach((l) => l(id, paths)),
    ingestLog: (functionName, line) => logLines.push({ functionName, line }),
    provisionService: (service, publicUrl) => {
      const resources: LocalServiceResources = {
        service,
        distributionId: `E${service.toUpperCase()}`,
        apiKey: `key-${service}`,
        apiKeySecretId: `hf-rollout/${service}/api-key`,
        sagemakerRoleArn: 'arn:aws:iam::000000000000:role/sagemaker',
        publicUrl,
        originVerifySecret: `origin-secret-${service}`,
      };
      provisioned.set(service, resources);
      return resources;
    },
    provisionedServices: () => [...provisioned.values()],
    putMetricAlarm: () => undefined,
    evaluateAlarms: () => [],
    inventory: () => ({}),
    reset: () => provisioned.clear(),
    close: () => Promise.resolve(),
  };
}

/** A running compute plane behind a real AWS API port, with SDK clients pointed at it. */
export interface ComputeHarness {
  readonly plane: LocalComputePlane;
  readonly data: FakeDataPlane;
  readonly ctx: ServiceContext;
  readonly faults: FaultEngine;
  readonly endpoint: string;
  readonly lambda: LambdaClient;
  readonly sfn: SFNClient;
  stop(): Promise<void>;
}

/** Starts a compute plane (fixtures only unless `catalog: true`) on loopback. */
export async function startCompute(
  options: Partial<Omit<ComputePlaneOptions, 'ctx' | 'data' | 'endpoint'>> & { timeScale?: number } = {},
): Promise<ComputeHarness> {
  installNode20Polyfills();
  const faults = new FaultEngine();
  const ctx: ServiceContext = {
    region: 'us-east-1',
    accountId: '000000000000',
    clock: new Clock(options.timeScale ?? 0.001),
    faults,
  };
  let services: readonly LocalService[] = [];
  const server: Server = createAwsServer(() => services);
  const port = await listen(server, 0, '127.0.0.1');
  const endpoint = `http://127.0.0.1:${port}`;
  const data = fakeDataPlane();
  let plane: LocalComputePlane;
  try {
    plane = await createComputePlane({
      dataDir: null,
      rootDir: ROOT,
      host: '127.0.0.1',
      edgePort: 0,
      catalog: false,
      // Persistent test clouds share the in-memory bundle cache instead of bundling into their data folder.
      bundleDir: sharedBundleDir(ROOT),
      ...options,
      ctx,
      data,
      endpoint,
    });
  } catch (error) {
    await close(server);
    throw error;
  }
  services = plane.services;
  const clientConfig = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
  const lambda = new LambdaClient(clientConfig);
  const sfn = new SFNClient(clientConfig);
  return {
    plane,
    data,
    ctx,
    faults,
    endpoint,
    lambda,
    sfn,
    stop: async () => {
      lambda.destroy();
      sfn.destroy();
      await plane.close();
      await close(server);
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A test state machine from `test/fixtures/state-machines/<file>.asl.json`. */
export function fixtureMachine(
  name: string,
  file: string,
  type: 'STANDARD' | 'EXPRESS' = 'STANDARD',
): { name: string; type: 'STANDARD' | 'EXPRESS'; definition: string } {
  return {
    name,
    type,
    definition: readFileSync(join(ROOT, 'test', 'fixtures', 'state-machines', `${file}.asl.json`), 'utf8'),
  };
}

/** The ARN of a state machine in the harness's account. */
export function machineArn(name: string): string {
  return `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
}
