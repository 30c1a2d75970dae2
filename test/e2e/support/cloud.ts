import { setTimeout as sleep } from 'node:timers/promises';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { LocalCloud, type LocalCloudOptions } from '../../../local/cloud';
import type { FaultRule } from '../../../local/faults';
import { readApiKey } from '../../../lambdas/shared/api-key';
import { readLivePointer } from '../../../lambdas/shared/live-pointer';
import { readRegistration } from '../../../lambdas/shared/registration';
import type { LivePointer, ServiceRegistration } from '../../../lambdas/shared/types';
import {
  getRollout,
  listRollouts,
  proxyLiveLookup,
  type RolloutDetail,
  type RolloutSummary,
} from '../../../pipeline/history';
import { DEFAULT_PREFIX, proxyFunctionName, rolloutStateMachineName } from '../../../pipeline/names';

/** Region and account of every local cloud. */
export const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/** The rollout state machine's ARN in the local cloud. */
export const ROLLOUT_STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${rolloutStateMachineName(DEFAULT_PREFIX)}`;

/** Header the proxy names the serving endpoint in. */
export const SERVED_BY_HEADER = 'x-served-by-endpoint';

/** SDK clients pointed at a local cloud, as the CLI makes them. */
export interface E2eClients {
  readonly sfn: SFNClient;
  readonly sagemaker: SageMakerClient;
  readonly lambda: LambdaClient;
  readonly ssm: SSMClient;
  readonly secrets: SecretsManagerClient;
}

/** How a finished rollout ended, as DescribeExecution tells it. */
export interface RolloutOutcome {
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly status: string;
  readonly error: string | undefined;
  readonly cause: string | undefined;
  readonly output: unknown;
  /** Wall time between StartExecution and the end (as recorded by Step Functions). */
  readonly durationMs: number;
}

/** One answer of the public API. */
export interface ApiAnswer {
  readonly status: number;
  /** `x-served-by-endpoint`, or null when the answer has none. */
  readonly servedBy: string | null;
  readonly contentType: string | null;
  readonly body: string;
}

/** What `runRollout` and `startRollout` accept. */
export interface RolloutOptions {
  /** Execution name: a rollout id, as `rollout deploy` makes them (see `rolloutIdFor` in specs.ts). */
  readonly rolloutId: string;
  /** @default 'e2e-test' */
  readonly requestedBy?: string;
  /** Real ms to wait for the end. @default 120000 */
  readonly timeoutMs?: number;
}

/**
 * A local cloud as the tests see it: only its URLs. Everything goes over real HTTP: the AWS APIs
 * through SDK v3 clients, the public API through the edge, faults and inventory through the local
 * cloud's admin API (`/_local/...`). Works the same for an in-process cloud and for one in its own
 * process (crash recovery).
 */
export class E2eCloud {
  readonly clients: E2eClients;
  private readonly apiKeys = new Map<string, string | null>();

  constructor(
    readonly endpoint: string,
    readonly edgeUrl: string,
  ) {
    const config = {
      endpoint,
      region: REGION,
      credentials: { accessKeyId: 'e2e', secretAccessKey: 'e2e' },
    };
    this.clients = {
      sfn: new SFNClient(config),
      sagemaker: new SageMakerClient(config),
      lambda: new LambdaClient(config),
      ssm: new SSMClient(config),
      secrets: new SecretsManagerClient(config),
    };
  }

  /** Starts a rollout: StartExecution with the CLI's input shape. */
  async startRollout(
    spec: unknown,
    options: RolloutOptions,
  ): Promise<{ rolloutId: string; executionArn: string }> {
    const started = await this.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: ROLLOUT_STATE_MACHINE_ARN,
        name: options.rolloutId,
        input: JSON.stringify({ spec, requestedBy: options.requestedBy ?? 'e2e-test' }),
      }),
    );
    if (started.executionArn === undefined) throw new Error('StartExecution returned no executionArn');
    return { rolloutId: options.rolloutId, executionArn: started.executionArn };
  }

  /** Polls DescribeExecution until the execution is no longer RUNNING (every 25 ms at first, then less often). */
  async waitForEnd(executionArn: string, timeoutMs = 120_000): Promise<RolloutOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (let pauseMs = 25; ; pauseMs = Math.min(pauseMs * 1.5, 250)) {
      const out: DescribeExecutionCommandOutput = await this.clients.sfn.send(
        new DescribeExecutionCommand({ executionArn }),
      );
      if (out.status !== 'RUNNING') {
        const started = out.startDate?.getTime() ?? 0;
        const stopped = out.stopDate?.getTime() ?? Date.now();
        return {
          rolloutId: out.name ?? executionArn.split(':').pop() ?? executionArn,
          executionArn,
          status: out.status ?? 'UNKNOWN',
          error: out.error,
          cause: out.cause,
          output: out.output === undefined ? undefined : (JSON.parse(out.output) as unknown),
          durationMs: stopped - started,
        };
      }
      if (Date.now() > deadline) {
        throw new Error(`Execution ${executionArn} still RUNNING after ${timeoutMs} ms`);
      }
      await sleep(pauseMs);
    }
  }

  /** StartExecution (input `{spec, requestedBy}`, as `rollout deploy` sends it), then waits for the end. */
  async runRollout(spec: unknown, options: RolloutOptions): Promise<RolloutOutcome> {
    const { executionArn } = await this.startRollout(spec, options);
    return this.waitForEnd(executionArn, options.timeoutMs);
  }

  /** Runs a rollout that must succeed (test set-up): fails with the execution's error and cause otherwise. */
  async deploy(spec: unknown, options: RolloutOptions): Promise<RolloutOutcome> {
    const outcome = await this.runRollout(spec, options);
    if (outcome.status !== 'SUCCEEDED') {
      throw new Error(
        `Set-up rollout ${outcome.rolloutId} ended ${outcome.status}: ${outcome.error ?? ''} ${outcome.cause ?? ''}`,
      );
    }
    return outcome;
  }

  /** The rollout as `rollout status` reads it (failure step and cause, steps with their attempts). */
  rollout(executionArn: string): Promise<RolloutDetail> {
    return getRollout(this.clients.sfn, executionArn, {
      live: proxyLiveLookup(this.clients, DEFAULT_PREFIX),
    });
  }

  /** The rollouts of a service, newest first, as `rollout history` lists them. */
  async history(service: string, pageSize = 50): Promise<readonly RolloutSummary[]> {
    return (
      await listRollouts(this.clients.sfn, ROLLOUT_STATE_MACHINE_ARN, {
        service,
        pageSize,
        live: proxyLiveLookup(this.clients, DEFAULT_PREFIX),
      })
    ).rollouts;
  }

  /** The service's registration (SSM), as the CLI reads it. */
  registration(service: string): Promise<ServiceRegistration> {
    return readRegistration(this.clients.ssm, DEFAULT_PREFIX, service);
  }

  /** The service's API key, read through Secrets Manager as the CLI does (cached: read it before adding faults). */
  async apiKey(service: string): Promise<string | null> {
    if (!this.apiKeys.has(service)) {
      const registration = await this.registration(service);
      this.apiKeys.set(service, await readApiKey(this.clients.secrets, registration.apiKeySecretId));
    }
    return this.apiKeys.get(service) ?? null;
  }

  /** POST `{edgeUrl}/{service}/predict` with a JSON body and the service's API key (through CloudFront and API Gateway). */
  callApi(service: string, body: unknown): Promise<ApiAnswer> {
    return this.request(service, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** Any request to the service's public URL, with its API key unless the headers set one. */
  async request(
    service: string,
    init: {
      readonly path?: string;
      readonly method?: string;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: string | Uint8Array<ArrayBuffer>;
    } = {},
  ): Promise<ApiAnswer> {
    const key = await this.apiKey(service);
    const res = await fetch(`${this.edgeUrl}/${service}${init.path ?? '/predict'}`, {
      method: init.method ?? 'POST',
      headers: { ...(key === null ? {} : { 'x-api-key': key }), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return {
      status: res.status,
      servedBy: res.headers.get(SERVED_BY_HEADER),
      contentType: res.headers.get('content-type'),
      body: await res.text(),
    };
  }

  /** The service's live pointer (SSM). */
  livePointer(service: string): Promise<LivePointer | null> {
    return readLivePointer(this.clients.ssm, DEFAULT_PREFIX, service);
  }

  /** ENDPOINT_NAME of the service's proxy function (Lambda GetFunctionConfiguration). */
  async proxyEndpointName(service: string): Promise<string | null> {
    const config = await this.clients.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: proxyFunctionName(DEFAULT_PREFIX, service) }),
    );
    return config.Environment?.Variables?.ENDPOINT_NAME ?? null;
  }

  /** Everything that exists (`GET /_local/inventory`). */
  async inventory(): Promise<Record<string, unknown>> {
    return (await this.admin('GET', '/_local/inventory')) as Record<string, unknown>;
  }

  /** Declares fault rules (`POST /_local/faults`). */
  async addFaults(...faults: readonly FaultRule[]): Promise<void> {
    await this.admin('POST', '/_local/faults', { faults });
  }

  /** Removes every fault rule and the record of fired ones (`DELETE /_local/faults`). */
  async clearFaults(): Promise<void> {
    await this.admin('DELETE', '/_local/faults');
  }

  /** Fault rules with their counters, and the faults that fired (`GET /_local/faults`). */
  async faults(): Promise<{
    faults: { id: string; operation: string; fired: number; seen: number }[];
    fired: { id: string; operation: string }[];
  }> {
    return (await this.admin('GET', '/_local/faults')) as {
      faults: { id: string; operation: string; fired: number; seen: number }[];
      fired: { id: string; operation: string }[];
    };
  }

  /** Closes the SDK clients (not the cloud). */
  destroy(): void {
    for (const client of Object.values(this.clients) as { destroy(): void }[]) client.destroy();
  }

  private async admin(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.endpoint}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as unknown;
  }
}

/** An in-process local cloud with the view tests use. */
export interface StartedCloud {
  readonly cloud: E2eCloud;
  stop(): Promise<void>;
}

/** Default options of the in-process cloud: memory only, free ports, 1000x faster, `sentiment` provisioned. */
export const E2E_CLOUD_OPTIONS = {
  dataDir: null,
  port: 0,
  edgePort: 0,
  timeScale: 0.001,
  services: ['sentiment'],
} as const satisfies LocalCloudOptions;

/** Starts a local cloud in this process (state in memory, free ports). */
export async function startCloud(options: LocalCloudOptions = {}): Promise<StartedCloud> {
  const local = await LocalCloud.start({ ...E2E_CLOUD_OPTIONS, ...options });
  const cloud = new E2eCloud(local.endpoint, local.edgeUrl);
  return {
    cloud,
    stop: async () => {
      cloud.destroy();
      await local.stop();
    },
  };
}
