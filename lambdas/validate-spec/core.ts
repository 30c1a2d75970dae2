import type { SSMClient } from '@aws-sdk/client-ssm';
import { isResourceName } from '../../pipeline/names';
import { SpecInvalidError, type SpecIssue } from '../../pipeline/spec/errors';
import { resolveImageUri } from '../../pipeline/spec/image-uri';
import type { RolloutSpec } from '../../pipeline/spec/schema';
import { validateSpec } from '../../pipeline/spec/validate';
import { InvalidStepInputError } from '../shared/errors';
import { readRegistration } from '../shared/registration';
import type { PollState, RolloutState, ServiceRegistration, ValidateSpecEvent } from '../shared/types';

/** What Validate Spec needs besides its event. */
export interface ValidateSpecDeps {
  readonly ssm: SSMClient;
  readonly prefix: string;
  /** Region whose HuggingFace DLC registry the image resolves to (AWS_REGION). */
  readonly region: string;
  readonly now: () => Date;
}

/** Step name, as in the ASL. */
export const VALIDATE_SPEC_STEP = 'Validate Spec';

const SERVICE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const REQUESTED_BY_UNKNOWN = 'unknown';

/** A deploy or rollback request, checked. */
type ParsedInput =
  | { readonly kind: 'deploy'; readonly spec: RolloutSpec; readonly requestedBy: string }
  | {
      readonly kind: 'rollback';
      readonly service: string;
      readonly toRolloutId?: string;
      readonly fromRolloutId?: string;
      readonly reason?: string;
      readonly requestedBy: string;
    };

/** Narrows the Lambda event to a ValidateSpecEvent (the ASL's Parameters build it). */
export function parseValidateSpecEvent(event: unknown): ValidateSpecEvent {
  const e = event as Partial<ValidateSpecEvent> | null;
  const x = e?.execution;
  if (
    e === null ||
    typeof e !== 'object' ||
    !('input' in e) ||
    typeof x?.id !== 'string' ||
    typeof x.name !== 'string' ||
    typeof x.startTime !== 'string'
  ) {
    throw new InvalidStepInputError(
      `${VALIDATE_SPEC_STEP} expects {input, execution: {id, name, startTime}} (see the ASL's Parameters); ` +
        `got ${JSON.stringify(event)?.slice(0, 200)}`,
    );
  }
  return { input: e.input, execution: { id: x.id, name: x.name, startTime: x.startTime } };
}

/**
 * Checks the execution input (a spec, `{spec, requestedBy}`, or a rollback request) and builds the
 * initial rollout state. Nothing is created here, so every problem is a SpecInvalidError (or
 * ServiceNotFoundError / ImageNotFoundError) that ends the execution before any lock is taken.
 */
export async function validateSpecCore(
  event: ValidateSpecEvent,
  deps: ValidateSpecDeps,
): Promise<RolloutState> {
  const started = deps.now();
  const input = parseInput(event.input);
  const rolloutId = event.execution.name;
  if (!isResourceName(rolloutId)) {
    throw new SpecInvalidError(
      [
        {
          path: '$$.Execution.Name',
          received: rolloutId,
          expected:
            'an execution name that is also a SageMaker name (at most 63 letters, digits and hyphens, ' +
            'starting with a letter or digit), as `rollout deploy` makes: <service>-<model>-<yyyymmdd>-<hhmmss>-<hex>',
        },
      ],
      'rollout input',
    );
  }
  const serviceName = input.kind === 'deploy' ? input.spec.service : input.service;
  const service = await readRegistration(deps.ssm, deps.prefix, serviceName);
  const base = {
    rolloutId,
    executionArn: event.execution.id,
    startedAt: event.execution.startTime,
    requestedBy: input.requestedBy,
    service,
    pointerBefore: null,
    lock: null,
    deletion: null,
    smoke: [],
    switched: false,
    cdnInvalidationId: null,
    publicCheck: null,
    retired: [],
  } as const;
  const state: RolloutState =
    input.kind === 'deploy'
      ? deployState(base, input.spec, service, deps.region)
      : {
          ...base,
          kind: 'rollback',
          spec: null,
          resources: null,
          target: null,
          wait: null,
          warnings: [],
          timings: [],
          ...(input.reason === undefined ? {} : { reason: input.reason }),
          ...(input.toRolloutId === undefined ? {} : { toRolloutId: input.toRolloutId }),
          ...(input.fromRolloutId === undefined ? {} : { fromRolloutId: input.fromRolloutId }),
        };
  const finished = deps.now();
  return {
    ...state,
    timings: [
      {
        step: VALIDATE_SPEC_STEP,
        startedAt: started.toISOString(),
        durationMs: finished.getTime() - started.getTime(),
      },
    ],
  };
}

type BaseState = Pick<
  RolloutState,
  | 'rolloutId'
  | 'executionArn'
  | 'startedAt'
  | 'requestedBy'
  | 'service'
  | 'pointerBefore'
  | 'lock'
  | 'deletion'
  | 'smoke'
  | 'switched'
  | 'cdnInvalidationId'
  | 'publicCheck'
  | 'retired'
>;

function deployState(
  base: BaseState,
  spec: RolloutSpec,
  service: ServiceRegistration,
  region: string,
): RolloutState {
  const name = base.rolloutId;
  const imageUri = resolveImageUri(spec.model.image, region);
  const { pollIntervalSeconds, maxWaitMinutes } = spec.rollout;
  const wait: PollState = {
    pollIntervalSeconds,
    maxAttempts: Math.ceil((maxWaitMinutes * 60) / pollIntervalSeconds),
    attempts: 0,
    status: 'NotCreated',
  };
  // Retire Old Endpoints finds a service's endpoints by the name part "<service>-"; say so now
  // rather than leave an endpoint that no later rollout will ever retire.
  const warnings = name.includes(`${spec.service}-`)
    ? []
    : [
        `Rollout id "${name}" does not contain "${spec.service}-", so later rollouts will not find and retire its endpoint; ` +
          'start rollouts with `rollout deploy`, which names them after the service.',
      ];
  return {
    ...base,
    kind: 'deploy',
    spec,
    resources: {
      modelName: name,
      endpointConfigName: name,
      endpointName: name,
      imageUri,
      executionRoleArn: service.sagemakerRoleArn,
    },
    target: {
      rolloutId: name,
      endpointName: name,
      endpointConfigName: name,
      modelName: name,
      modelId: spec.model.id,
      modelRevision: spec.model.revision,
      task: spec.model.task,
      since: '',
      executionArn: base.executionArn,
    },
    wait,
    warnings,
    timings: [],
  };
}

const INPUT_EXPECTED =
  'a rollout spec, {"spec": {...}, "requestedBy": "..."}, or {"kind": "rollback", "service": "...", "toRolloutId"?: "...", "fromRolloutId"?: "...", "reason"?: "..."}';

function parseInput(input: unknown): ParsedInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid([{ path: '$', received: input, expected: INPUT_EXPECTED }]);
  }
  const record = input as Record<string, unknown>;
  const kind = record.kind;
  if (kind === 'rollback') return parseRollback(record);
  if (kind !== undefined && kind !== 'deploy') {
    throw invalid([{ path: '$.kind', received: kind, expected: '"deploy" (the default) or "rollback"' }]);
  }
  if ('spec' in record) {
    const unknown = Object.keys(record).filter((key) => !['kind', 'spec', 'requestedBy'].includes(key));
    if (unknown.length > 0) {
      throw invalid(
        unknown.map((key) => ({
          path: `$.${key}`,
          received: record[key],
          expected: 'no such field next to "spec" (only "requestedBy"); move it into the spec or remove it',
        })),
      );
    }
    const requestedBy = optionalString(record, 'requestedBy');
    return {
      kind: 'deploy',
      spec: validateSpec(record.spec),
      requestedBy: requestedBy ?? REQUESTED_BY_UNKNOWN,
    };
  }
  // A bare spec, as pasted into the AWS console's "Start execution" box; `kind` is not a spec field.
  const { kind: _kind, ...spec } = record;
  return { kind: 'deploy', spec: validateSpec(spec), requestedBy: REQUESTED_BY_UNKNOWN };
}

function parseRollback(record: Record<string, unknown>): ParsedInput {
  const issues: SpecIssue[] = [];
  const allowed = new Set(['kind', 'service', 'toRolloutId', 'fromRolloutId', 'reason', 'requestedBy']);
  for (const key of Object.keys(record)) {
    if (!allowed.has(key)) {
      issues.push({
        path: `$.${key}`,
        received: record[key],
        expected: 'no such field; remove it or check its spelling',
      });
    }
  }
  const service = record.service;
  if (typeof service !== 'string' || service.length > 20 || !SERVICE_NAME.test(service)) {
    issues.push({
      path: '$.service',
      received: service,
      expected: 'the name of a deployed service such as "sentiment"',
    });
  }
  const toRolloutId = record.toRolloutId;
  if (toRolloutId !== undefined && (typeof toRolloutId !== 'string' || !isResourceName(toRolloutId))) {
    issues.push({
      path: '$.toRolloutId',
      received: toRolloutId,
      expected:
        'the rollout id of a kept deployment (see `rollout history`), or no field for the most recent one',
    });
  }
  const fromRolloutId = record.fromRolloutId;
  if (fromRolloutId !== undefined && (typeof fromRolloutId !== 'string' || !isResourceName(fromRolloutId))) {
    issues.push({
      path: '$.fromRolloutId',
      received: fromRolloutId,
      expected:
        'the rollout id the API serves now (the rollback is refused if another one went live since), or no field',
    });
  }
  for (const key of ['reason', 'requestedBy'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'string') {
      issues.push({ path: `$.${key}`, received: record[key], expected: 'a string' });
    }
  }
  if (issues.length > 0 || typeof service !== 'string') throw invalid(issues);
  const reason = optionalString(record, 'reason');
  return {
    kind: 'rollback',
    service,
    requestedBy: optionalString(record, 'requestedBy') ?? REQUESTED_BY_UNKNOWN,
    ...(typeof toRolloutId === 'string' ? { toRolloutId } : {}),
    ...(typeof fromRolloutId === 'string' ? { fromRolloutId } : {}),
    ...(reason === undefined ? {} : { reason }),
  };
}

function optionalString(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw invalid([{ path: `$.${key}`, received: value, expected: 'a string' }]);
  }
  return value;
}

function invalid(issues: readonly SpecIssue[]): SpecInvalidError {
  return new SpecInvalidError(issues, 'rollout input');
}
