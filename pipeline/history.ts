import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  type ExecutionStatus,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { failureMessage } from '../lambdas/shared/failure';
import { readLiveRecord } from '../lambdas/shared/live-pointer';
import { resolveLive, type LiveResolution } from '../lambdas/shared/reconcile';
import { readRegistration } from '../lambdas/shared/registration';
import type { DeploymentRecord, RolloutState } from '../lambdas/shared/types';
import { timelineFromHistory, type StepRun } from './timeline';

/**
 * Deployment history, read from Step Functions: every rollout is an execution of the rollout state
 * machine, its input the request and its output (or, for a failed one, the state its Fail state saw)
 * the Deployment record. Works the same against AWS and the local cloud.
 */

/** One row of history. */
export interface RolloutSummary {
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly kind: 'deploy' | 'rollback';
  readonly service: string | null;
  readonly status: ExecutionStatus;
  readonly model: { readonly id: string; readonly revision: string; readonly task: string } | null;
  readonly requestedBy: string | null;
  readonly reason: string | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly endpointName: string | null;
  readonly previousEndpoint: string | null;
  readonly failure: { readonly step: string | null; readonly error: string; readonly message: string } | null;
  readonly record: DeploymentRecord | null;
  /**
   * True for exactly the deployment whose endpoint the proxy serves now (what serves, not what the
   * live pointer says; see lambdas/shared/reconcile.ts). False when no `live` lookup was given.
   */
  readonly live: boolean;
  /**
   * What really happened, for an ended execution (null while RUNNING): "live", "live, interrupted after
   * Switch API Target", "went live, then replaced by <id>", "never served: interrupted during Create
   * Endpoint", "rolled back: the API kept serving <endpoint>", ... (see `outcomeOf`).
   */
  readonly outcome: string | null;
}

/**
 * What the proxy of a service serves now: the endpoint name (null: nothing). Answered by
 * `proxyLiveLookup` (lambdas/shared/reconcile.ts's rule: the proxy's ENDPOINT_NAME, else the pointer's
 * current) so history, the console and `rollout status` agree on what is live.
 */
export type LiveLookup = (service: string) => Promise<string | null>;

/** A rollout with its input and step timeline. */
export interface RolloutDetail extends RolloutSummary {
  readonly input: unknown;
  readonly steps: readonly StepRun[];
}

/**
 * What a service's proxy really serves, resolved as every reconcile does (read-only: nothing repaired):
 * the stored live pointer and the proxy's environment (registration → proxy function name).
 */
export async function resolveServed(
  clients: { readonly ssm: SSMClient; readonly lambda: LambdaClient },
  prefix: string,
  service: string,
): Promise<LiveResolution> {
  const registration = await readRegistration(clients.ssm, prefix, service);
  const [record, config] = await Promise.all([
    readLiveRecord(clients.ssm, prefix, service),
    clients.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: registration.proxyFunctionName }),
    ),
  ]);
  const env = config.Environment?.Variables ?? {};
  const value = (key: string): string | null =>
    env[key] === undefined || env[key] === '' ? null : (env[key] ?? null);
  return resolveLive(record, {
    endpointName: value('ENDPOINT_NAME'),
    rolloutId: value('LIVE_ROLLOUT_ID'),
    modelId: value('LIVE_MODEL_ID'),
  });
}

/** A LiveLookup reading the proxy's environment and the live pointer through these clients. */
export function proxyLiveLookup(
  clients: { readonly ssm: SSMClient; readonly lambda: LambdaClient },
  prefix: string,
): LiveLookup {
  return async (service) => (await resolveServed(clients, prefix, service)).servedEndpoint;
}

/** Filters and paging of `listRollouts`. */
export interface ListRolloutsOptions {
  readonly service?: string;
  readonly status?: ExecutionStatus;
  /** Rows per page. @default 20 */
  readonly pageSize?: number;
  readonly nextToken?: string;
  /** Tells what each service's proxy serves now; without it `live` is false and outcomes say less. */
  readonly live?: LiveLookup;
}

/** A page of history, newest first. */
export interface RolloutPage {
  readonly rollouts: readonly RolloutSummary[];
  readonly nextToken?: string;
}

/** Lists rollouts newest first, filtered by service and status, a page at a time. */
export async function listRollouts(
  sfn: SFNClient,
  stateMachineArn: string,
  options: ListRolloutsOptions = {},
): Promise<RolloutPage> {
  const pageSize = options.pageSize ?? 20;
  const rollouts: RolloutSummary[] = [];
  let token = options.nextToken;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: options.service === undefined ? pageSize - rollouts.length : Math.max(pageSize, 50),
        ...(options.status === undefined ? {} : { statusFilter: options.status }),
        ...(token === undefined ? {} : { nextToken: token }),
      }),
    );
    token = page.nextToken;
    const items = page.executions ?? [];
    // Describe in parallel: each row needs its input (service, model, who) and output (record).
    const summaries = await Promise.all(items.map((item) => summarize(sfn, item)));
    for (const s of summaries) {
      if (options.service !== undefined && s.service !== options.service) continue;
      if (rollouts.length < pageSize) rollouts.push(s);
    }
    if (rollouts.length >= pageSize) break;
  } while (token !== undefined);
  const told = await withLiveness(rollouts, options.live);
  return token === undefined ? { rollouts: told } : { rollouts: told, nextToken: token };
}

/**
 * Sets `live` and `outcome` of rows (newest first): what the proxy serves decides `live`; newer rows
 * tell which rollout replaced an older one and what their reconciles repaired.
 */
export async function withLiveness<T extends RolloutSummary>(
  rows: readonly T[],
  lookup: LiveLookup | undefined,
  newer: readonly RolloutSummary[] = [],
): Promise<T[]> {
  const served = new Map<string, string | null | undefined>();
  for (const service of new Set(rows.map((r) => r.service))) {
    if (service === null) continue;
    served.set(service, lookup === undefined ? undefined : await lookup(service).catch(() => undefined));
  }
  const withLive = rows.map((row) => ({
    ...row,
    live: isLive(row, row.service === null ? undefined : served.get(row.service)),
  }));
  const all: RolloutSummary[] = [...newer, ...withLive];
  return withLive.map((row, i) => {
    const servedNow = row.service === null ? undefined : served.get(row.service);
    return { ...row, outcome: outcomeOf(row, servedNow, all.slice(0, newer.length + i)) };
  });
}

function isLive(row: RolloutSummary, served: string | null | undefined): boolean {
  return row.kind === 'deploy' && served !== undefined && served !== null && endpointOf(row) === served;
}

/** A deployment's endpoint: named after its rollout id (pipeline/names.ts) when no record says. */
function endpointOf(row: RolloutSummary): string {
  return row.endpointName ?? row.rolloutId;
}

/** Steps that run after the proxy was switched: a rollout interrupted there had gone live. */
const AFTER_SWITCH: ReadonlySet<string> = new Set([
  'Refresh CDN',
  'Verify Public API',
  'Retire Old Endpoints',
  'Release Lock',
]);

/**
 * What really happened to an ended execution, from its status, its failure, what the proxy serves now
 * (`served`: undefined when unknown) and the rows newer than it (newest first: who replaced it, and
 * what their reconciles found about it). Null while it runs.
 */
export function outcomeOf(
  row: RolloutSummary,
  served: string | null | undefined,
  newer: readonly RolloutSummary[],
): string | null {
  if (row.status === 'RUNNING' || row.status === 'PENDING_REDRIVE') return null;
  const sameService = newer.filter((r) => r.service === row.service);
  const found = sameService
    .flatMap((r) => r.record?.repairs ?? [])
    .filter((r) => r.rolloutId === row.rolloutId);
  const replacedBy = (): string => {
    // The oldest newer execution that went live (newest first, so the last match).
    const next = [...sameService].reverse().find((r) => r.status === 'SUCCEEDED' || r.live);
    return next === undefined ? 'went live, then replaced' : `went live, then replaced by ${next.rolloutId}`;
  };
  const kept = row.previousEndpoint ?? served ?? 'nothing';
  const step = row.failure?.step ?? null;
  const interrupted = row.record === null;
  if (row.kind === 'rollback') {
    if (row.status === 'SUCCEEDED') {
      const to = row.endpointName ?? '?';
      return served === undefined || served === to
        ? `returned the API to ${to}`
        : `returned the API to ${to}; replaced since`;
    }
    if (served !== undefined && served !== null && row.endpointName !== null && served === row.endpointName) {
      return `switched the API to ${served}, ${interrupted ? 'interrupted' : 'failed'} during ${step ?? '?'}`;
    }
    if (row.record?.rollback?.restored === true) return `rolled back: the API was switched back to ${kept}`;
    return `nothing changed: the API kept serving ${kept}`;
  }
  if (row.status === 'SUCCEEDED') {
    if (row.live) return 'live';
    return served === undefined ? 'went live' : replacedBy();
  }
  if (row.failure?.error === 'RolloutInProgress' || row.failure?.error === 'RolloutInProgressError') {
    return 'blocked: another rollout held the lock; nothing was created';
  }
  if (step === 'Validate Spec') return 'rejected: nothing was created';
  const how = interrupted ? 'interrupted' : 'failed';
  if (row.live) {
    return `live, ${how} ${interrupted && step === 'Switch API Target' ? 'after' : 'during'} ${step ?? '?'}`;
  }
  const wentLive =
    found.some((r) => r.finding.includes('went live')) ||
    (interrupted && step !== null && AFTER_SWITCH.has(step) && served !== undefined);
  if (wentLive) return replacedBy();
  if (row.record?.rollback?.restored === true) return `rolled back: the API was switched back to ${kept}`;
  if (interrupted) return `never served: interrupted during ${step ?? '?'}`;
  return `rolled back: the API kept serving ${kept}`;
}

/** Reads one rollout with its full step timeline (`live`: what the proxy serves, for `live`/`outcome`). */
export async function getRollout(
  sfn: SFNClient,
  executionArn: string,
  options: { readonly live?: LiveLookup } = {},
): Promise<RolloutDetail> {
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const events = await fullHistory(sfn, executionArn);
  const ended = described.status !== 'RUNNING' && described.status !== 'PENDING_REDRIVE';
  const steps = timelineFromHistory(events, ended);
  const summary = await summarize(
    sfn,
    {
      executionArn,
      name: described.name,
      status: described.status,
      startDate: described.startDate,
      stopDate: described.stopDate,
      stateMachineArn: described.stateMachineArn,
    },
    { described, events },
  );
  const [told] = await withLiveness([summary], options.live);
  return { ...(told ?? summary), input: parseJson(described.input), steps };
}

/** The execution ARN of a rollout id (the execution name) under a state machine. */
export function executionArnOf(stateMachineArn: string, rolloutId: string): string {
  if (rolloutId.startsWith('arn:')) return rolloutId;
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${rolloutId}`;
}

/** Every history event of an execution, oldest first. */
export async function fullHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: true,
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return events;
}

interface Known {
  readonly described?: DescribeExecutionCommandOutput;
  readonly events?: readonly HistoryEvent[];
}

async function summarize(
  sfn: SFNClient,
  item: ExecutionListItem,
  known: Known = {},
): Promise<RolloutSummary> {
  const executionArn = item.executionArn ?? '';
  const described = known.described ?? (await sfn.send(new DescribeExecutionCommand({ executionArn })));
  const input = parseJson(described.input) as Record<string, unknown> | undefined;
  const status = item.status ?? 'RUNNING';
  let record: DeploymentRecord | null = null;
  let finalState: FinalState | undefined;
  let tail: readonly HistoryEvent[] = [];
  if (status === 'SUCCEEDED') {
    const output = parseJson(described.output) as
      (Partial<DeploymentRecord> & { record?: DeploymentRecord }) | undefined;
    record = isRecord(output) ? output : isRecord(output?.record) ? output.record : null;
  } else if (status === 'FAILED') {
    const end = await failState(sfn, executionArn, known.events);
    finalState = end.state;
    tail = end.tail;
    record = isRecord(finalState?.record) ? finalState.record : null;
  }
  const rollbackInput = input?.kind === 'rollback';
  const spec = (input !== undefined && 'spec' in input ? input.spec : input) as
    { service?: unknown; model?: { id?: unknown; revision?: unknown; task?: unknown } } | undefined;
  const service = record?.service ?? (rollbackInput ? str(input.service) : str(spec?.service)) ?? null;
  const model =
    record?.model ??
    (!rollbackInput && typeof spec?.model?.id === 'string'
      ? { id: spec.model.id, revision: str(spec.model.revision) ?? 'main', task: str(spec.model.task) ?? '?' }
      : null);
  const startedAt = toIso(item.startDate) ?? new Date(0).toISOString();
  const finishedAt = toIso(item.stopDate);
  const failure =
    status === 'SUCCEEDED' || status === 'RUNNING'
      ? null
      : {
          step:
            record?.failure?.step ??
            finalState?.failure?.step ??
            openStep(known.events === undefined ? tail : [...known.events].reverse()) ??
            stepOfBareFailure(described.error, known.events),
          error: record?.failure?.error ?? described.error ?? status,
          message:
            record?.failure?.summary ??
            finalState?.failure?.summary ??
            failureMessage(described.error ?? status, described.cause),
        };
  return {
    rolloutId: item.name ?? executionArn.split(':').pop() ?? executionArn,
    executionArn,
    kind: record?.kind ?? (rollbackInput ? 'rollback' : 'deploy'),
    service,
    status,
    model,
    requestedBy: record?.requestedBy ?? str(input?.requestedBy) ?? null,
    reason: record?.reason ?? str(input?.reason) ?? null,
    startedAt,
    finishedAt,
    durationMs: finishedAt === null ? null : Date.parse(finishedAt) - Date.parse(startedAt),
    endpointName: record?.endpointName ?? null,
    previousEndpoint: record?.previousEndpoint ?? null,
    failure,
    record,
    live: false,
    outcome: null,
  };
}

/** The state the "Rollout Failed" Fail state saw (it holds `failure` and `record`), from the history's end. */
type FinalState = Partial<RolloutState> & { readonly record?: unknown };

async function failState(
  sfn: SFNClient,
  executionArn: string,
  events?: readonly HistoryEvent[],
): Promise<{ state: FinalState | undefined; tail: readonly HistoryEvent[] }> {
  const tail =
    events !== undefined
      ? [...events].reverse()
      : ((
          await sfn.send(
            new GetExecutionHistoryCommand({
              executionArn,
              reverseOrder: true,
              maxResults: 10,
              includeExecutionData: true,
            }),
          )
        ).events ?? []);
  const failEntered = tail.find((e) => e.type === 'FailStateEntered');
  return { state: parseJson(failEntered?.stateEnteredEventDetails?.input) as FinalState | undefined, tail };
}

/**
 * The Task state an execution was in when it ended without leaving it (killed, stopped, timed out):
 * the latest TaskStateEntered with no TaskStateExited after it. `newestFirst`: events, newest first.
 */
function openStep(newestFirst: readonly HistoryEvent[]): string | null {
  for (const e of newestFirst) {
    if (e.type === 'TaskStateExited' || e.type === 'FailStateEntered') return null;
    if (e.type === 'TaskStateEntered') return e.stateEnteredEventDetails?.name ?? null;
  }
  return null;
}

/** For failures without a Deployment record (rejected spec, blocked, crashed): which step it was. */
function stepOfBareFailure(error: string | undefined, events?: readonly HistoryEvent[]): string | null {
  if (error === 'RolloutInProgress') return 'Acquire Lock';
  if (events !== undefined) {
    const steps = timelineFromHistory(events, true).filter((s) => s.type === 'Task');
    const failed = [...steps].reverse().find((s) => s.status === 'failed') ?? steps[steps.length - 1];
    if (failed !== undefined) return failed.name;
  }
  return error === 'SpecInvalidError' || error === 'ServiceNotFoundError' || error === 'ImageNotFoundError'
    ? 'Validate Spec'
    : null;
}

function isRecord(value: unknown): value is DeploymentRecord {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as DeploymentRecord).rolloutId === 'string' &&
    typeof (value as DeploymentRecord).status === 'string'
  );
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function toIso(date: Date | string | undefined): string | null {
  if (date === undefined) return null;
  return (date instanceof Date ? date : new Date(date)).toISOString();
}

/** `text` parsed as JSON; undefined when it is absent or not JSON. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
