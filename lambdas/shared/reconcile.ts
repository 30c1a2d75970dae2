import type { LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { isTransientAwsError } from './errors';
import { commitPending, pointerOf, readLiveRecord, writeLivePointer } from './live-pointer';
import { logger } from './logger';
import { isNotFound } from './sagemaker-errors';
import { readSettledConfiguration, type SwitchTargetOptions } from './switch-target';
import type { EndpointStatus, LivePointer, LiveRecord, LiveTarget, PendingSwitch, Repair } from './types';

/**
 * One truth about what is live. What serves traffic is the endpoint the proxy function calls: its
 * ENDPOINT_NAME, or, when that is unset (a `cdk deploy` re-applied the template), the live pointer's
 * `current`, which the proxy falls back to. The live pointer and history are records of that fact. A
 * switch writes its intent (`pending`) before touching the proxy, so after a crash between any two
 * writes the proxy serves either the pointer's current or the pending target; reconciling reads which,
 * and makes the records say so. See docs/live-state.md.
 */

/** What the proxy's environment says it calls. */
export interface ProxyServing {
  /** ENDPOINT_NAME; null when unset (the proxy then falls back to the pointer's current). */
  readonly endpointName: string | null;
  /** LIVE_ROLLOUT_ID and LIVE_MODEL_ID, written next to ENDPOINT_NAME by the switch. */
  readonly rolloutId: string | null;
  readonly modelId: string | null;
}

/** What is live, and the records repaired to agree with it. */
export interface LiveResolution {
  /** The endpoint the proxy calls now; null when it calls none (nothing deployed). */
  readonly servedEndpoint: string | null;
  /** The deployment serving, from the records; null when nothing serves or no record knows the endpoint. */
  readonly live: LiveTarget | null;
  /** The live pointer once repaired (no pending switch left); null when nothing is recorded as serving. */
  readonly pointer: LivePointer | null;
  /** The repaired parameter as it is to be stored. */
  readonly record: LiveRecord;
  /** True when `record` differs from what was stored. */
  readonly changed: boolean;
  /** What disagreed and what was (or would be) done, one entry per finding. */
  readonly repairs: readonly Repair[];
}

/** Endpoint statuses that make a kept deployment useless for a rollback (it cannot come back InService). */
const DEAD: ReadonlySet<EndpointStatus> = new Set([
  'Deleted',
  'NotCreated',
  'Deleting',
  'Failed',
  'OutOfService',
  'UpdateRollbackFailed',
]);

/**
 * Resolves what is live from the stored pointer and the proxy's environment (pure). A pending switch
 * is committed when the proxy serves its target and dropped otherwise; a served endpoint found among
 * the kept ones becomes current; kept deployments whose endpoint is gone or cannot serve (per
 * `statuses`, when given) leave the kept list. Nothing that serves is ever dropped.
 */
export function resolveLive(
  stored: LiveRecord,
  proxy: ProxyServing,
  statuses: ReadonlyMap<string, EndpointStatus> = new Map(),
): LiveResolution {
  const repairs: Repair[] = [];
  const servedEndpoint = proxy.endpointName ?? stored.current?.endpointName ?? null;
  let record: LiveRecord = stored;

  const pending = stored.pending;
  if (pending !== null) {
    const switched =
      servedEndpoint === pending.target.endpointName &&
      stored.current?.endpointName !== pending.target.endpointName;
    if (switched) {
      const committed = commitPending(stored, pending);
      record = { current: committed.current, previous: committed.previous, pending: null };
      repairs.push(committedRepair(pending, stored.current));
    } else {
      record = { ...stored, pending: null };
      repairs.push(droppedRepair(pending, servedEndpoint));
    }
  }

  if (servedEndpoint !== null && record.current?.endpointName !== servedEndpoint) {
    const kept = record.previous.find((t) => t.endpointName === servedEndpoint);
    if (kept !== undefined) {
      const before = record.current;
      record = {
        current: kept,
        previous: [...(before === null ? [] : [before]), ...record.previous.filter((t) => t !== kept)],
        pending: null,
      };
      repairs.push({
        rolloutId: kept.rolloutId,
        finding:
          `the API serves ${servedEndpoint} (rollout ${kept.rolloutId}), but the live pointer named ` +
          `${before?.endpointName ?? 'nothing'} as live`,
        action: `recorded ${servedEndpoint} as live${before === null ? '' : ` and kept ${before.endpointName} for rollback`}`,
      });
    } else {
      repairs.push({
        rolloutId: proxy.rolloutId ?? servedEndpoint,
        finding: `the API serves ${servedEndpoint}, which the live pointer does not record`,
        action:
          'none: the pointer cannot describe it; it is never retired while it serves, and the next rollout replaces it',
      });
    }
  }

  const deadKept = record.previous.filter((t) => {
    const status = statuses.get(t.endpointName);
    return status !== undefined && DEAD.has(status) && t.endpointName !== servedEndpoint;
  });
  if (deadKept.length > 0) {
    record = { ...record, previous: record.previous.filter((t) => !deadKept.includes(t)) };
    for (const t of deadKept) {
      const status = statuses.get(t.endpointName);
      repairs.push({
        rolloutId: t.rolloutId,
        finding: `kept deployment ${t.rolloutId}: its endpoint ${t.endpointName} ${status === 'Deleted' ? 'no longer exists' : `is ${status ?? '?'}`}`,
        action: 'dropped it from the kept deployments (a rollback to it could not serve)',
      });
    }
  }

  const servedStatus = servedEndpoint === null ? undefined : statuses.get(servedEndpoint);
  if (servedEndpoint !== null && servedStatus !== undefined && DEAD.has(servedStatus)) {
    repairs.push({
      rolloutId: record.current?.endpointName === servedEndpoint ? record.current.rolloutId : servedEndpoint,
      finding: `the API serves ${servedEndpoint}, which ${servedStatus === 'Deleted' ? 'no longer exists' : `is ${servedStatus}`}: calls fail`,
      action: 'none: deploy a spec or roll back to a kept deployment',
    });
  }

  const live =
    record.current !== null && record.current.endpointName === servedEndpoint ? record.current : null;
  return {
    servedEndpoint,
    live,
    pointer: pointerOf(record),
    record,
    changed: JSON.stringify(normal(record)) !== JSON.stringify(normal(stored)),
    repairs,
  };
}

function committedRepair(pending: PendingSwitch, before: LiveTarget | null): Repair {
  const ep = pending.target.endpointName;
  const action = `recorded ${ep} as live in the live pointer${
    before === null || pending.kind === 'restore' ? '' : ` and kept ${before.endpointName} for rollback`
  }`;
  switch (pending.kind) {
    case 'deploy':
      return {
        rolloutId: pending.rolloutId,
        finding: `rollout ${pending.rolloutId} went live; it was interrupted after Switch API Target`,
        action,
      };
    case 'rollback':
      return {
        rolloutId: pending.rolloutId,
        finding: `rollback ${pending.rolloutId} switched the API to ${ep} (rollout ${pending.target.rolloutId}); it was interrupted after Switch API Target`,
        action,
      };
    case 'restore':
      return {
        rolloutId: pending.rolloutId,
        finding: `Roll Back of ${pending.rolloutId} restored the API to ${ep}; it was interrupted before recording it`,
        action,
      };
  }
}

function droppedRepair(pending: PendingSwitch, served: string | null): Repair {
  const serving = served ?? 'nothing';
  const action = `dropped the pending switch to ${pending.target.endpointName} from the live pointer`;
  switch (pending.kind) {
    case 'deploy':
      return {
        rolloutId: pending.rolloutId,
        finding: `rollout ${pending.rolloutId} never went live: it was interrupted during Switch API Target before the API was switched; the API kept serving ${serving}`,
        action,
      };
    case 'rollback':
      return {
        rolloutId: pending.rolloutId,
        finding: `rollback ${pending.rolloutId} was interrupted before it switched the API; the API kept serving ${serving}`,
        action,
      };
    case 'restore':
      return {
        rolloutId: pending.rolloutId,
        finding: `Roll Back of ${pending.rolloutId} was interrupted before it restored the API to ${pending.target.endpointName}; the API serves ${serving}`,
        action,
      };
  }
}

function normal(record: LiveRecord): unknown {
  return {
    current: record.current?.endpointName ?? null,
    previous: record.previous.map((t) => t.endpointName),
    pending: record.pending === null ? null : [record.pending.kind, record.pending.target.endpointName],
  };
}

/** What `reconcile` needs from outside. */
export interface ReconcileDeps {
  readonly ssm: SSMClient;
  readonly lambda: LambdaClient;
  readonly sagemaker: SageMakerClient;
  readonly prefix: string;
  readonly service: string;
  readonly proxyFunctionName: string;
  /**
   * Write the repaired pointer. Only when no switch of the service can be under way: under the
   * rollout lock, or (health checks) when no rollout of the service runs.
   */
  readonly repair: boolean;
  /** How to wait for a proxy update still InProgress (a crashed switch's) to settle. */
  readonly switchOptions: SwitchTargetOptions;
}

/**
 * Reads what the proxy serves, the stored pointer and the kept endpoints' statuses, resolves what is
 * live and (with `repair`) writes the repaired pointer. Returns the resolution with its repairs.
 */
export async function reconcile(deps: ReconcileDeps): Promise<LiveResolution> {
  const stored = await readLiveRecord(deps.ssm, deps.prefix, deps.service);
  const proxy = await readProxyServing(deps.lambda, deps.proxyFunctionName, deps.switchOptions);
  const names = new Set<string>(
    [
      ...(stored.current === null ? [] : [stored.current.endpointName]),
      ...stored.previous.map((t) => t.endpointName),
      ...(proxy.endpointName === null ? [] : [proxy.endpointName]),
    ].filter((n) => n !== ''),
  );
  const statuses = new Map<string, EndpointStatus>();
  for (const name of names) {
    const status = await endpointStatus(deps.sagemaker, name);
    if (status !== null) statuses.set(name, status);
  }
  const resolution = resolveLive(stored, proxy, statuses);
  if (resolution.changed && deps.repair) {
    await writeLivePointer(deps.ssm, deps.prefix, deps.service, resolution.record);
  }
  if (resolution.repairs.length > 0) {
    logger.warn('Live state reconciled', {
      service: deps.service,
      written: resolution.changed && deps.repair,
      repairs: resolution.repairs,
    });
  }
  return resolution;
}

/** The proxy's switched variables once any update in progress has settled. */
export async function readProxyServing(
  lambda: LambdaClient,
  functionName: string,
  options: SwitchTargetOptions,
): Promise<ProxyServing> {
  const config = await readSettledConfiguration(lambda, functionName, options);
  const env = config.Environment?.Variables ?? {};
  const value = (key: string): string | null => {
    const v = env[key];
    return v === undefined || v === '' ? null : v;
  };
  return {
    endpointName: value('ENDPOINT_NAME'),
    rolloutId: value('LIVE_ROLLOUT_ID'),
    modelId: value('LIVE_MODEL_ID'),
  };
}

/** SageMaker's status of an endpoint ('Deleted' when unknown to it); null when it could not be read. */
export async function endpointStatus(
  sagemaker: SageMakerClient,
  endpointName: string,
): Promise<EndpointStatus | null> {
  try {
    const out = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    return out.EndpointStatus ?? null;
  } catch (error) {
    if (isNotFound(error, 'endpoint')) return 'Deleted';
    if (isTransientAwsError(error)) throw error;
    logger.warn('Endpoint status unreadable while reconciling', { endpointName, error: String(error) });
    return null;
  }
}
