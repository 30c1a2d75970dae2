import {
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';

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
  ssm?: { parameters?: { name: string }[] };
  dynamodb?: { tables?: Record<string, unknown[]> };
  secretsManager?: { secrets?: { name: string }[] };
  cloudfront?: { distributions?: { id: string }[] };
  functions?: { name: string; endpointName: string | null; lastUpdateStatus: string }[];
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
