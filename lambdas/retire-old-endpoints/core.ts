import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { awsErrorName, errorMessage } from '../shared/errors';
import { pointerOf, readLiveRecord } from '../shared/live-pointer';
import { isNotFound } from '../shared/sagemaker-errors';
import { SERVICE_TAG } from '../shared/tags';
import type { RolloutState } from '../shared/types';

/** What Retire Old Endpoints needs besides the state. */
export interface RetireOldEndpointsDeps {
  readonly sagemaker: SageMakerClient;
  readonly ssm: SSMClient;
  /** Reads the proxy's ENDPOINT_NAME: what really serves is never retired. */
  readonly lambda: LambdaClient;
  readonly prefix: string;
}

/** Step name, as in the ASL. */
export const RETIRE_OLD_ENDPOINTS_STEP = 'Retire Old Endpoints';

/** Statuses in which an endpoint is busy changing: leave it to whoever is changing it. */
const BUSY: ReadonlySet<string> = new Set([
  'Creating',
  'Updating',
  'SystemUpdating',
  'RollingBack',
  'Deleting',
]);

/** An endpoint of the service, as listed. */
interface OwnedEndpoint {
  readonly name: string;
  readonly status: string;
}

/** The endpoint config (null: it has none any more) and models an endpoint runs on. */
interface Usage {
  readonly endpointConfigName: string | null;
  readonly modelNames: readonly string[];
}

/**
 * Deletes the service's endpoints outside the protected set, read right before deleting: the proxy's
 * ENDPOINT_NAME (what really serves), the live pointer's current, kept previous and pending target. Then
 * their endpoint configs and models unless an endpoint that stays uses them. Only endpoints tagged
 * with the service are touched; a resource that cannot be deleted becomes a warning, because the new
 * deployment is already live and verified.
 */
export async function retireOldEndpoints(
  state: RolloutState,
  deps: RetireOldEndpointsDeps,
): Promise<RolloutState> {
  // A rollback keeps every endpoint: the one it left may be wanted again.
  if (state.kind === 'rollback') return state;
  const service = state.service.service;
  const warnings: string[] = [];
  const record = await readLiveRecord(deps.ssm, deps.prefix, service);
  const pointer = pointerOf(record);
  if (pointer === null) {
    return {
      ...state,
      warnings: [
        ...state.warnings,
        `Nothing retired: service ${service} has no live pointer, so which endpoints to keep is unknown.`,
      ],
    };
  }
  const kept = [
    pointer.current,
    ...pointer.previous,
    ...(record.pending === null ? [] : [record.pending.target]),
    ...(state.target === null ? [] : [state.target]),
  ];
  const keptNames = new Set(kept.map((t) => t.endpointName));
  const served = await proxyEndpointName(deps.lambda, state.service.proxyFunctionName);
  if (served !== null) keptNames.add(served);

  const owned = await listOwnedEndpoints(deps.sagemaker, service, warnings);
  const retired: string[] = [];
  const deleted = new Set<string>();
  const freed: Usage[] = [];
  for (const endpoint of owned) {
    if (keptNames.has(endpoint.name) || BUSY.has(endpoint.status)) continue;
    // Read what it uses first: once it is deleted, nothing leads to its config and model any more.
    const usage = await describeUsage(deps.sagemaker, endpoint.name, warnings);
    if (usage === null || usage === 'gone') continue;
    try {
      await deps.sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpoint.name }));
      retired.push(`endpoint ${endpoint.name}`);
    } catch (error) {
      if (!isNotFound(error, 'endpoint')) {
        warnings.push(problem(`endpoint ${endpoint.name}`, error));
        continue;
      }
    }
    deleted.add(endpoint.name);
    freed.push(usage);
  }

  // What the endpoints that stay use must stay too; describe them rather than trust the pointer.
  const usedConfigs = new Set(kept.map((t) => t.endpointConfigName));
  const usedModels = new Set(kept.map((t) => t.modelName));
  let usageKnown = true;
  for (const endpoint of owned) {
    if (deleted.has(endpoint.name)) continue;
    const usage = await describeUsage(deps.sagemaker, endpoint.name, warnings);
    if (usage === null) usageKnown = false;
    if (usage === null || usage === 'gone') continue;
    if (usage.endpointConfigName !== null) usedConfigs.add(usage.endpointConfigName);
    for (const model of usage.modelNames) usedModels.add(model);
  }
  if (!usageKnown && freed.length > 0) {
    warnings.push(
      'Endpoint configs and models of the retired endpoints were kept, because what the remaining endpoints use ' +
        'could not be read; delete them by hand if no endpoint uses them.',
    );
  }
  if (usageKnown) {
    const configs = new Set(
      freed.flatMap((u) => (u.endpointConfigName === null ? [] : [u.endpointConfigName])),
    );
    const models = new Set(freed.flatMap((u) => u.modelNames));
    for (const name of configs) {
      if (usedConfigs.has(name)) continue;
      const done = await deleteQuietly(
        () => deps.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })),
        `endpoint config ${name}`,
        `aws sagemaker delete-endpoint-config --endpoint-config-name ${name}`,
        warnings,
      );
      if (done) retired.push(`endpoint config ${name}`);
    }
    for (const name of models) {
      if (usedModels.has(name)) continue;
      const done = await deleteQuietly(
        () => deps.sagemaker.send(new DeleteModelCommand({ ModelName: name })),
        `model ${name}`,
        `aws sagemaker delete-model --model-name ${name}`,
        warnings,
      );
      if (done) retired.push(`model ${name}`);
    }
    if (state.lock !== null) {
      const abandoned = await retireAbandoned(deps.sagemaker, {
        service,
        createdBefore: new Date(state.lock.acquiredAt),
        keep: { configs: new Set([...usedConfigs, ...configs]), models: new Set([...usedModels, ...models]) },
        warnings,
      });
      retired.push(...abandoned);
    }
  }
  return {
    ...state,
    retired: [...state.retired, ...retired],
    warnings: [...state.warnings, ...warnings],
  };
}

/** The proxy's ENDPOINT_NAME (null: unset, the proxy then serves the pointer's current). */
async function proxyEndpointName(lambda: LambdaClient, functionName: string): Promise<string | null> {
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  const name = config.Environment?.Variables?.ENDPOINT_NAME;
  return name === undefined || name === '' ? null : name;
}

/** What `retireAbandoned` looks for and must leave. */
interface AbandonedSearch {
  readonly service: string;
  /** When this rollout took the lock: no rollout of the service can be creating anything older. */
  readonly createdBefore: Date;
  /** Configs and models an endpoint that stays uses, or that the endpoint pass already handled. */
  readonly keep: { readonly configs: ReadonlySet<string>; readonly models: ReadonlySet<string> };
  readonly warnings: string[];
}

/**
 * Deletes the service's endpoint configs and models that no endpoint uses and that were created before
 * this rollout took the lock: what a rollout left when it ended without Roll Back between Create Model
 * and Create Endpoint (stopped, timed out, or its local cloud killed). While the lock is held no other
 * rollout of the service creates anything, and the endpoint pass above has handled every config and
 * model an endpoint leads to; only resources whose service tag proves them this service's are touched.
 */
async function retireAbandoned(sagemaker: SageMakerClient, search: AbandonedSearch): Promise<string[]> {
  const filter = {
    NameContains: `${search.service}-`,
    CreationTimeBefore: search.createdBefore,
    MaxResults: 100,
  };
  const next = (token: string | undefined) => (token === undefined ? {} : { NextToken: token });
  const kinds: readonly AbandonedKind[] = [
    {
      label: 'endpoint config',
      keep: search.keep.configs,
      listPage: async (token) => {
        const page = await sagemaker.send(new ListEndpointConfigsCommand({ ...filter, ...next(token) }));
        const items = (page.EndpointConfigs ?? []).map((c) => ({
          name: c.EndpointConfigName,
          arn: c.EndpointConfigArn,
        }));
        return { items, next: page.NextToken };
      },
      remove: (name) => sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })),
      cli: (name) => `aws sagemaker delete-endpoint-config --endpoint-config-name ${name}`,
    },
    {
      label: 'model',
      keep: search.keep.models,
      listPage: async (token) => {
        const page = await sagemaker.send(new ListModelsCommand({ ...filter, ...next(token) }));
        const items = (page.Models ?? []).map((m) => ({ name: m.ModelName, arn: m.ModelArn }));
        return { items, next: page.NextToken };
      },
      remove: (name) => sagemaker.send(new DeleteModelCommand({ ModelName: name })),
      cli: (name) => `aws sagemaker delete-model --model-name ${name}`,
    },
  ];
  const retired: string[] = [];
  // Configs first: a config names its models, never the other way round.
  for (const kind of kinds) {
    for (const c of await listCandidates(search, kind.listPage)) {
      if (kind.keep.has(c.name) || !(await ownedBy(sagemaker, c, search))) continue;
      const what = `${kind.label} ${c.name}`;
      if (await deleteQuietly(() => kind.remove(c.name), what, kind.cli(c.name), search.warnings)) {
        retired.push(`${what} (abandoned)`);
      }
    }
  }
  return retired;
}

/** One kind of resource `retireAbandoned` looks for: how to list a page of it, delete one, say how by hand. */
interface AbandonedKind {
  readonly label: string;
  readonly keep: ReadonlySet<string>;
  readonly listPage: ListPage;
  readonly remove: (name: string) => Promise<unknown>;
  readonly cli: (name: string) => string;
}

type ListPage = (
  token: string | undefined,
) => Promise<{ items: { name: string | undefined; arn: string | undefined }[]; next: string | undefined }>;

interface Candidate {
  readonly name: string;
  readonly arn: string;
}

/** Every page of a List call, as named resources with ARNs. */
async function listCandidates(search: AbandonedSearch, listPage: ListPage): Promise<Candidate[]> {
  const found: Candidate[] = [];
  let token: string | undefined;
  do {
    const page = await listPage(token);
    for (const { name, arn } of page.items) {
      if (name !== undefined && arn !== undefined && name.startsWith(`${search.service}-`))
        found.push({ name, arn });
    }
    token = page.next;
  } while (token !== undefined && token !== '');
  return found;
}

/** True when the resource's service tag names this service; an unreadable tag is a warning and false. */
async function ownedBy(sagemaker: SageMakerClient, c: Candidate, search: AbandonedSearch): Promise<boolean> {
  try {
    const tags = await sagemaker.send(new ListTagsCommand({ ResourceArn: c.arn, MaxResults: 100 }));
    return (tags.Tags ?? []).some((t) => t.Key === SERVICE_TAG && t.Value === search.service);
  } catch (error) {
    search.warnings.push(problem(`${c.arn} (reading its tags)`, error));
    return false;
  }
}

/** Endpoints whose name contains "<service>-" and whose service tag proves they are this service's. */
async function listOwnedEndpoints(
  sagemaker: SageMakerClient,
  service: string,
  warnings: string[],
): Promise<OwnedEndpoint[]> {
  const owned: OwnedEndpoint[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sagemaker.send(
      new ListEndpointsCommand({
        NameContains: `${service}-`,
        MaxResults: 100,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      }),
    );
    for (const e of page.Endpoints ?? []) {
      if (e.EndpointName === undefined || e.EndpointArn === undefined) continue;
      try {
        const tags = await sagemaker.send(
          new ListTagsCommand({ ResourceArn: e.EndpointArn, MaxResults: 100 }),
        );
        const tag = (tags.Tags ?? []).find((t) => t.Key === SERVICE_TAG);
        if (tag?.Value === service)
          owned.push({ name: e.EndpointName, status: e.EndpointStatus ?? 'Unknown' });
      } catch (error) {
        warnings.push(problem(`endpoint ${e.EndpointName} (reading its tags)`, error));
      }
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return owned;
}

/**
 * The config and models an endpoint uses; 'gone' when the endpoint no longer exists, null when it
 * could not be read (a warning says why, and nothing it might use is deleted).
 */
async function describeUsage(
  sagemaker: SageMakerClient,
  endpointName: string,
  warnings: string[],
): Promise<Usage | 'gone' | null> {
  let endpointConfigName: string | undefined;
  try {
    const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    endpointConfigName = endpoint.EndpointConfigName;
  } catch (error) {
    if (isNotFound(error, 'endpoint')) return 'gone';
    warnings.push(problem(`endpoint ${endpointName} (describing it)`, error));
    return null;
  }
  if (endpointConfigName === undefined) return { endpointConfigName: null, modelNames: [] };
  try {
    const config = await sagemaker.send(
      new DescribeEndpointConfigCommand({ EndpointConfigName: endpointConfigName }),
    );
    const variants = [...(config.ProductionVariants ?? []), ...(config.ShadowProductionVariants ?? [])];
    return {
      endpointConfigName,
      modelNames: variants.flatMap((v) => (v.ModelName === undefined ? [] : [v.ModelName])),
    };
  } catch (error) {
    // The config is gone already; the models it named cannot be known any more.
    if (isNotFound(error, 'endpoint configuration')) return { endpointConfigName: null, modelNames: [] };
    warnings.push(problem(`endpoint config ${endpointConfigName} (describing it)`, error));
    return null;
  }
}

/**
 * Runs the delete of an endpoint config or model; true when it deleted, false when already gone or
 * failed. No later rollout finds it again once its endpoint is gone, so a failure says how to delete it.
 */
async function deleteQuietly(
  send: () => Promise<unknown>,
  what: string,
  command: string,
  warnings: string[],
): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    if (!isNotFound(error)) {
      warnings.push(
        `Could not retire ${what}: ${awsErrorName(error)}: ${errorMessage(error)}. Delete it by hand: ${command}`,
      );
    }
    return false;
  }
}

function problem(what: string, error: unknown): string {
  return `Could not retire ${what}: ${awsErrorName(error)}: ${errorMessage(error)}. The next rollout tries again.`;
}
