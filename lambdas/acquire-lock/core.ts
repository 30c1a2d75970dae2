import {
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { NoPreviousDeploymentError, RolloutInProgressError } from '../shared/errors';
import { reconcile } from '../shared/reconcile';
import type { SwitchTargetOptions } from '../shared/switch-target';
import type { LivePointer, LiveTarget, Repair, RolloutState } from '../shared/types';

/** What Acquire Lock needs besides the state. */
export interface AcquireLockDeps {
  readonly dynamodb: DynamoDBClient;
  readonly sfn: SFNClient;
  readonly ssm: SSMClient;
  readonly lambda: LambdaClient;
  readonly sagemaker: SageMakerClient;
  /** How long to wait for a proxy update left InProgress (by a crashed switch) before reconciling. */
  readonly switchOptions: SwitchTargetOptions;
  /** DynamoDB table with one lock item per service (LOCK_TABLE_NAME). */
  readonly tableName: string;
  readonly prefix: string;
  readonly now: () => Date;
}

/** The lock item of a service, as stored. */
export interface LockItem {
  /** Partition key. */
  readonly service: string;
  /** Execution ARN of the rollout holding the lock. */
  readonly holder: string;
  readonly rolloutId: string;
  /** ISO 8601. */
  readonly acquiredAt: string;
  /** Epoch seconds; also the table's TTL attribute, so a crashed rollout's lock disappears by itself. */
  readonly expiresAt: number;
}

/** Minutes a lock outlives the longest expected rollout (endpoint wait excluded), so a crash frees it. */
export const LOCK_MARGIN_MINUTES = 60;

/**
 * Put attempts before giving up when the lock keeps changing hands between our read and our write
 * (several rollouts starting at once).
 */
const MAX_LOCK_ATTEMPTS = 3;

/**
 * Takes the service's rollout lock (or takes it over from a rollout that is no longer running), then,
 * holding it (so no other rollout is mid-switch), reconciles the live records with what the proxy
 * serves (lambdas/shared/reconcile.ts: an earlier rollout may have died between two writes), snapshots
 * the repaired pointer and, for a rollback, picks the deployment to return to.
 */
export async function acquireLock(state: RolloutState, deps: AcquireLockDeps): Promise<RolloutState> {
  const now = deps.now();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const lifetimeMinutes = (state.spec?.rollout.maxWaitMinutes ?? 0) + LOCK_MARGIN_MINUTES;
  const mine: LockItem = {
    service: state.service.service,
    holder: state.executionArn,
    rolloutId: state.rolloutId,
    acquiredAt: now.toISOString(),
    expiresAt: nowSeconds + lifetimeMinutes * 60,
  };

  const tookOverFrom = await takeLock(mine, nowSeconds, deps);
  const resolution = await reconcile({
    ssm: deps.ssm,
    lambda: deps.lambda,
    sagemaker: deps.sagemaker,
    prefix: deps.prefix,
    service: state.service.service,
    proxyFunctionName: state.service.proxyFunctionName,
    repair: true,
    switchOptions: deps.switchOptions,
  });
  const pointerBefore = resolution.pointer;
  const repairs = [...(state.repairs ?? []), ...resolution.repairs];
  const target =
    state.kind === 'rollback' ? rollbackTarget(state, pointerBefore, resolution.repairs) : state.target;
  return {
    ...state,
    target,
    pointerBefore,
    lock: {
      acquiredAt: mine.acquiredAt,
      expiresAt: new Date(mine.expiresAt * 1000).toISOString(),
      ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
    },
    ...(repairs.length === 0 ? {} : { repairs }),
  };
}

/**
 * Free, or ours already: a retried Acquire Lock (after a timeout) is idempotent. An expired item is not
 * free: its holder may still run (a long endpoint wait), and only Step Functions can tell.
 */
const FREE_CONDITION = 'attribute_not_exists(#service) OR #holder = :me';

/** Puts our lock item; returns the execution ARN of the stale holder it replaced, if any. */
async function takeLock(
  mine: LockItem,
  nowSeconds: number,
  deps: AcquireLockDeps,
): Promise<string | undefined> {
  let holder: LockItem | null = null;
  for (let attempt = 1; attempt <= MAX_LOCK_ATTEMPTS; attempt++) {
    const free = await putLock(deps, mine, FREE_CONDITION, { ':me': { S: mine.holder } });
    if (free) return undefined;
    holder = await getLock(deps, mine.service);
    // Released between our put and our read: the next put finds it free.
    if (holder === null) continue;
    // Expired or not, a holder that still runs keeps its lock.
    if (await isRunning(deps.sfn, holder.holder)) throw inProgress(holder, mine.service, nowSeconds);
    // The holder ended without releasing (crashed, stopped, timed out): take over, but only while it
    // still holds the lock, so two rollouts taking over at once cannot both win.
    const tookOver = await putLock(deps, mine, '#holder = :stale', { ':stale': { S: holder.holder } });
    if (tookOver) return holder.holder;
  }
  throw new RolloutInProgressError(
    `The rollout lock of service "${mine.service}" changed hands ${MAX_LOCK_ATTEMPTS} times while this rollout ` +
      `tried to take it${holder === null ? '' : ` (last holder: rollout ${holder.rolloutId})`}: other rollouts are starting. ` +
      'This rollout created nothing; start it again when they are done.',
  );
}

async function putLock(
  deps: AcquireLockDeps,
  item: LockItem,
  condition: string,
  values: Record<string, AttributeValue>,
): Promise<boolean> {
  const names: Record<string, string> = {};
  for (const name of ['service', 'holder', 'expiresAt'] as const) {
    if (condition.includes(`#${name}`)) names[`#${name}`] = name;
  }
  try {
    await deps.dynamodb.send(
      new PutItemCommand({
        TableName: deps.tableName,
        Item: marshall(item),
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

async function getLock(deps: AcquireLockDeps, service: string): Promise<LockItem | null> {
  const out = await deps.dynamodb.send(
    new GetItemCommand({ TableName: deps.tableName, Key: marshall({ service }), ConsistentRead: true }),
  );
  if (out.Item === undefined) return null;
  const item = unmarshall(out.Item) as Partial<LockItem>;
  return {
    service,
    holder: typeof item.holder === 'string' ? item.holder : '',
    rolloutId: typeof item.rolloutId === 'string' ? item.rolloutId : '(unknown)',
    acquiredAt: typeof item.acquiredAt === 'string' ? item.acquiredAt : '(unknown)',
    expiresAt: typeof item.expiresAt === 'number' ? item.expiresAt : 0,
  };
}

/** True while the holder execution runs; an execution Step Functions does not know is not running. */
async function isRunning(sfn: SFNClient, executionArn: string): Promise<boolean> {
  if (executionArn === '') return false;
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING';
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}

function inProgress(holder: LockItem, service: string, nowSeconds: number): RolloutInProgressError {
  const until = new Date(holder.expiresAt * 1000).toISOString();
  // The lock's expiry only bounds how long a crashed holder's item lingers; a running holder keeps it.
  const expired = holder.expiresAt < nowSeconds;
  return new RolloutInProgressError(
    `Another rollout of service "${service}" is running: ${holder.rolloutId}, started ${holder.acquiredAt}, ` +
      `holds the lock (expiry ${until}${expired ? ', passed, but it still runs' : ''}). ` +
      `Wait for it or stop it: aws stepfunctions stop-execution --execution-arn ${holder.holder}. ` +
      'This rollout created nothing.',
  );
}

/**
 * The kept deployment a rollback returns to: the one asked for, or the most recent previous one; refused
 * when the rollback is pinned to a live rollout (`fromRolloutId`) that is no longer live.
 */
function rollbackTarget(
  state: RolloutState,
  pointer: LivePointer | null,
  repairs: readonly Repair[],
): LiveTarget {
  const service = state.service.service;
  if (pointer === null) {
    throw new NoPreviousDeploymentError(
      `Cannot roll back service "${service}": nothing has been deployed yet (no live pointer). Deploy a spec with \`rollout deploy\`.`,
    );
  }
  const live = `${pointer.current.rolloutId} (endpoint ${pointer.current.endpointName})`;
  const kept = pointer.previous.length === 0 ? 'none' : pointer.previous.map((t) => t.rolloutId).join(', ');
  // Checked under the lock, so no other rollout can change what is live between this check and the
  // switch. No dedicated error name: the ASL needs none (States.ALL ends the rollback having changed
  // nothing), so the message says what happened.
  if (state.fromRolloutId !== undefined && state.fromRolloutId !== pointer.current.rolloutId) {
    throw new NoPreviousDeploymentError(
      `Rollback of service "${service}" refused: it was asked to roll back from ${state.fromRolloutId}, ` +
        `but the API now serves ${live}, which went live after the rollback was requested. Nothing was changed. ` +
        `If ${pointer.current.rolloutId} should be rolled back too, run \`rollout rollback --service ${service}\` again.`,
    );
  }
  const target =
    state.toRolloutId === undefined
      ? pointer.previous[0]
      : pointer.previous.find((t) => t.rolloutId === state.toRolloutId);
  if (target !== undefined) return target;
  // Reconciling just now may have dropped kept deployments whose endpoint cannot serve: say so.
  const dropped = repairs.filter(
    (r) =>
      r.action.startsWith('dropped it from the kept') &&
      (state.toRolloutId === undefined || r.rolloutId === state.toRolloutId),
  );
  if (dropped.length > 0) {
    throw new NoPreviousDeploymentError(
      `Cannot roll back service "${service}"${state.toRolloutId === undefined ? '' : ` to ${state.toRolloutId}`}: ` +
        `${dropped.map((r) => r.finding).join('; ')}, so it was dropped from the kept deployments. ` +
        `Nothing was changed: the API still serves ${live}; kept: ${kept}. ` +
        'Redeploy the spec you want with `rollout deploy`.',
    );
  }
  if (state.toRolloutId === undefined) {
    throw new NoPreviousDeploymentError(
      `Cannot roll back service "${service}": no earlier deployment is kept. Live: ${live}; kept: none. ` +
        'Deploy the spec you want with `rollout deploy` (raise rollout.keepPreviousEndpoints to keep more for rollbacks).',
    );
  }
  const why =
    state.toRolloutId === pointer.current.rolloutId
      ? 'it is what the API serves now'
      : 'it is not among the kept deployments (its endpoint was retired or never went live)';
  throw new NoPreviousDeploymentError(
    `Cannot roll back service "${service}" to ${state.toRolloutId}: ${why}. Nothing was changed. Live: ${live}; kept: ${kept}. ` +
      'Pick a kept rollout id, or redeploy its spec with `rollout deploy`.',
  );
}
