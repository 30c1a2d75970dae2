import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

/**
 * The resources in a local cloud's inventory (`GET /_local/inventory`): what exists and costs or
 * serves, without the records that legitimately grow with every rollout (executions, notifications,
 * invocation counts, metrics, CloudFront invalidations, parameter versions, revision ids).
 * "Inventory after == before" compares these.
 */
export interface Resources {
  readonly models: readonly string[];
  readonly endpointConfigs: readonly string[];
  readonly endpoints: readonly { readonly name: string; readonly status: string }[];
  readonly parameters: readonly string[];
  readonly lockItems: readonly unknown[];
  readonly secrets: readonly string[];
  readonly distributions: readonly string[];
  readonly functions: readonly {
    readonly name: string;
    readonly endpointName: string | null;
    readonly lastUpdateStatus: string;
  }[];
  readonly edgeRoutes: readonly unknown[];
  readonly provisionedServices: readonly unknown[];
}

interface InventoryShape {
  sagemaker?: {
    models?: { name: string }[];
    endpointConfigs?: { name: string }[];
    endpoints?: { name: string; status: string }[];
  };
  ssm?: { parameters?: { name: string; version?: number }[] };
  sns?: unknown;
  cloudwatch?: { alarms?: unknown[] };
  dynamodb?: { tables?: Record<string, unknown[]> };
  secretsManager?: { secrets?: { name: string }[] };
  cloudfront?: { distributions?: { id: string }[]; invalidations?: unknown[] };
  functions?: {
    name: string;
    endpointName: string | null;
    lastUpdateStatus: string;
    revisionId?: string;
    workers?: number;
    busyWorkers?: number;
    inFlight?: number;
  }[];
  edgeRoutes?: Record<string, unknown>[];
  provisionedServices?: unknown[];
}

/** Projects an inventory onto its resources, each list sorted. */
export function resourcesOf(inventory: Record<string, unknown>): Resources {
  const inv = inventory as InventoryShape;
  const sorted = <T>(items: readonly T[], key: (item: T) => string): T[] =>
    [...items].sort((a, b) => key(a).localeCompare(key(b)));
  return {
    models: sorted(
      (inv.sagemaker?.models ?? []).map((m) => m.name),
      (s) => s,
    ),
    endpointConfigs: sorted(
      (inv.sagemaker?.endpointConfigs ?? []).map((c) => c.name),
      (s) => s,
    ),
    endpoints: sorted(
      (inv.sagemaker?.endpoints ?? []).map((e) => ({ name: e.name, status: e.status })),
      (e) => e.name,
    ),
    parameters: sorted(
      (inv.ssm?.parameters ?? []).map((p) => p.name),
      (s) => s,
    ),
    lockItems: inv.dynamodb?.tables?.['hf-rollout-locks'] ?? [],
    secrets: sorted(
      (inv.secretsManager?.secrets ?? []).map((s) => s.name),
      (s) => s,
    ),
    distributions: sorted(
      (inv.cloudfront?.distributions ?? []).map((d) => d.id),
      (s) => s,
    ),
    functions: sorted(
      (inv.functions ?? []).map((f) => ({
        name: f.name,
        endpointName: f.endpointName,
        lastUpdateStatus: f.lastUpdateStatus,
      })),
      (f) => f.name,
    ),
    edgeRoutes: (inv.edgeRoutes ?? []).map(({ cachedAnswers: _cached, ...route }) => route),
    provisionedServices: inv.provisionedServices ?? [],
  };
}

/** Every resource (by its inventory entry) whose description mentions `rolloutId`. */
export function resourcesNamedAfter(resources: Resources, rolloutId: string): string[] {
  const found: string[] = [];
  for (const [kind, items] of Object.entries(resources) as [string, readonly unknown[]][]) {
    for (const item of items) {
      const text = JSON.stringify(item);
      if (text.includes(rolloutId)) found.push(`${kind}: ${text}`);
    }
  }
  return found;
}

/** SageMaker models, endpoint configs and endpoints whose name contains `text`, through the List* APIs. */
export async function sagemakerNamesContaining(sagemaker: SageMakerClient, text: string): Promise<string[]> {
  const [models, configs, endpoints] = await Promise.all([
    sagemaker.send(new ListModelsCommand({ NameContains: text, MaxResults: 100 })),
    sagemaker.send(new ListEndpointConfigsCommand({ NameContains: text, MaxResults: 100 })),
    sagemaker.send(new ListEndpointsCommand({ NameContains: text, MaxResults: 100 })),
  ]);
  return [
    ...(models.Models ?? []).map((m) => `model ${m.ModelName ?? '?'}`),
    ...(configs.EndpointConfigs ?? []).map((c) => `endpoint config ${c.EndpointConfigName ?? '?'}`),
    ...(endpoints.Endpoints ?? []).map((e) => `endpoint ${e.EndpointName ?? '?'}`),
  ];
}

/**
 * What legitimately changes in a local cloud's inventory when nothing that serves, costs or decides
 * changed; the ONE place "inventory unchanged" comparisons leave things out. Each entry says why.
 * Everything else of `GET /_local/inventory` is compared, plus what the inventory only names (see
 * `wholeInventory`).
 */
export const VOLATILE_INVENTORY: readonly { readonly path: string; readonly why: string }[] = [
  {
    path: 'sagemaker.invocations',
    why: 'counts every call, including smoke tests and the tests own requests',
  },
  {
    path: 'ssm.parameters[].version',
    why: 'PutParameter bumps it even when a failed rollout restores the same value',
  },
  {
    path: 'ssm.values[/<prefix>/<service>/health]',
    why: 'the health record: the time and result of the last check',
  },
  { path: 'sns', why: 'notifications: one per rollout, whatever its outcome' },
  { path: 'cloudfront.invalidations', why: 'Refresh CDN adds one per switch (and per restore)' },
  { path: 'cloudwatch.metrics, cloudwatch.emfLines', why: 'metric data points grow with every request' },
  {
    path: 'functions[].revisionId',
    why: 'UpdateFunctionConfiguration gives a new one even when it restores the same environment',
  },
  { path: 'functions[].workers, busyWorkers, inFlight', why: 'the emulator pool of warm Lambda workers' },
  { path: 'executions, expressExecutions', why: 'every rollout and health check is one more execution' },
  { path: 'edgeRoutes[].cachedAnswers', why: 'the CDN cache fills with the tests own GET requests' },
  { path: 'scheduledHealthChecks', why: 'the schedule counts its runs' },
];

/** One SageMaker endpoint with the config it uses and that config's models, as the Describe APIs tell it. */
export interface EndpointInventory {
  readonly name: string;
  readonly status: string;
  readonly configName: string;
  /** null when the config it was created from no longer exists. */
  readonly config: unknown;
}

/**
 * The whole inventory of a local cloud for "unchanged" comparisons: `GET /_local/inventory` without
 * the VOLATILE_INVENTORY entries, plus what it only names: every endpoint's config (variants: model,
 * instance type or serverless config) and every model's container, each SSM parameter's value, each
 * proxy function's whole environment, and the lock table's items.
 */
export async function wholeInventory(cloud: {
  inventory(): Promise<Record<string, unknown>>;
  readonly clients: {
    readonly sagemaker: SageMakerClient;
    readonly ssm: SSMClient;
    readonly lambda: LambdaClient;
  };
}): Promise<Record<string, unknown>> {
  const raw = (await cloud.inventory()) as InventoryShape & Record<string, unknown>;
  const { sagemaker: sm, ssm, sns: _sns, cloudwatch, cloudfront, functions, edgeRoutes, ...rest } = raw;
  delete rest.executions;
  delete rest.expressExecutions;
  delete rest.scheduledHealthChecks;
  const { clients } = cloud;
  const byName = <T extends { name: string }>(items: readonly T[] | undefined): T[] =>
    [...(items ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const configs = await Promise.all(
    byName(sm?.endpointConfigs).map(async (c) => ({
      ...c,
      ...(await describeConfig(clients.sagemaker, c.name)),
    })),
  );
  const models = await Promise.all(
    byName(sm?.models).map(async (m) => {
      const d = await clients.sagemaker.send(new DescribeModelCommand({ ModelName: m.name }));
      return {
        ...m,
        primaryContainer: d.PrimaryContainer ?? null,
        containers: d.Containers ?? null,
        role: d.ExecutionRoleArn,
      };
    }),
  );
  const endpoints = byName(
    sm?.endpoints as { name: string; configName?: string; status: string }[] | undefined,
  ).map((e) => ({ ...e, config: configs.find((c) => c.name === e.configName) ?? null }));
  const parameters = await Promise.all(
    byName(ssm?.parameters).map(async ({ version: _version, ...p }) => {
      const value = /\/health$/.test(p.name)
        ? '(volatile: health record)'
        : ((await clients.ssm.send(new GetParameterCommand({ Name: p.name }))).Parameter?.Value ?? null);
      return { ...p, value };
    }),
  );
  const fns = await Promise.all(
    byName(functions).map(async ({ revisionId: _r, workers: _w, busyWorkers: _b, inFlight: _i, ...f }) => {
      if (!f.name.endsWith('-proxy')) return f;
      const config = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: f.name }));
      return { ...f, environment: config.Environment?.Variables ?? {} };
    }),
  );
  return {
    ...rest,
    sagemaker: { models, endpointConfigs: configs, endpoints },
    ssm: { parameters },
    cloudwatch: { alarms: cloudwatch?.alarms ?? [] },
    cloudfront: { distributions: cloudfront?.distributions ?? [] },
    functions: fns,
    edgeRoutes: (edgeRoutes ?? []).map(({ cachedAnswers: _cached, ...route }) => route),
  };
}

async function describeConfig(sagemaker: SageMakerClient, name: string): Promise<Record<string, unknown>> {
  const d = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
  return { variants: d.ProductionVariants ?? [], kmsKeyId: d.KmsKeyId ?? null };
}
