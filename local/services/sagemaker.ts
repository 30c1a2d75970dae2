import { createHash } from 'node:crypto';
import { jsonService } from '../protocol/aws-json';
import { AwsError } from '../protocol/errors';
import type { LocalService, ServiceContext } from '../protocol/types';
import type { FaultOutcome } from '../faults';
import { JsonStore } from '../store';
import { hfModelOf, pingFailure, pingFailureReason, type HfModel } from './hf-container';
import {
  objectList,
  optionalEpochSeconds,
  optionalNumber,
  optionalObject,
  optionalString,
  optionalStringMap,
} from './input';
import { paginate } from './pagination';

/**
 * SageMaker (awsJson1_1, `X-Amz-Target: SageMaker.<Operation>`): models, endpoint configurations and
 * endpoints, with SageMaker's validation messages and an endpoint lifecycle computed from stored
 * timestamps (Creating → InService | Failed, Deleting → gone), so it needs no timers and survives a
 * restart. Layout: state types, pure lifecycle rules, the emulator (operations), then the wire.
 */

// --- state ----------------------------------------------------------------------------------------

/** A SageMaker tag. */
export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

/** A container definition as the client gave it (kept whole, so Describe returns what was sent). */
export type ContainerSpec = Readonly<Record<string, unknown>>;

/** A stored model. */
export interface ModelRecord {
  readonly name: string;
  readonly arn: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** The CreateModel request minus ModelName and Tags (Describe echoes it). */
  readonly definition: Readonly<Record<string, unknown>>;
  readonly tags: readonly Tag[];
}

/** A stored endpoint configuration. */
export interface EndpointConfigRecord {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  /** The CreateEndpointConfig request minus EndpointConfigName and Tags. */
  readonly definition: Readonly<Record<string, unknown>>;
  readonly tags: readonly Tag[];
  /**
   * Before this time (epoch ms) CreateEndpoint does not see the configuration yet (a declared
   * `SageMaker.EndpointConfigVisibility` fault: SageMaker reads it eventually consistently).
   */
  readonly visibleAt?: number;
  /** CreateEndpoint calls that still do not see the configuration (same fault, counted in calls). */
  readonly invisibleCalls?: number;
}

/** What one production variant of an endpoint runs, captured at CreateEndpoint (later model changes do not affect it). */
export interface DeployedVariant {
  readonly variantName: string;
  readonly modelName: string;
  readonly image: string | undefined;
  readonly environment: Readonly<Record<string, string>>;
  readonly modelDataUrl: string | undefined;
  readonly weight: number;
  readonly instanceType: string | undefined;
  readonly instanceCount: number | undefined;
  readonly serverless: Readonly<Record<string, unknown>> | undefined;
}

/** A stored endpoint: its status is derived from these timestamps, never stored. */
export interface EndpointRecord {
  readonly name: string;
  readonly arn: string;
  readonly configName: string;
  readonly createdAt: number;
  /** When Creating ends (epoch ms); null: never (a declared "stuck" fault). */
  readonly readyAt: number | null;
  readonly outcome: 'InService' | 'Failed';
  readonly failureReason?: string;
  /** Real milliseconds the Deleting phase lasts once DeleteEndpoint is called. */
  readonly deletionMs: number;
  readonly deletingAt?: number;
  readonly variants: readonly DeployedVariant[];
  readonly tags: readonly Tag[];
}

/** SageMaker's whole state; maps are keyed by lower-cased name (names are unique regardless of case, like their ARNs). */
export interface SageMakerState {
  models: Record<string, ModelRecord>;
  endpointConfigs: Record<string, EndpointConfigRecord>;
  endpoints: Record<string, EndpointRecord>;
}

// --- lifecycle rules (pure) ----------------------------------------------------------------------

/** EndpointStatus values this emulator produces. */
export type EmulatedEndpointStatus = 'Creating' | 'InService' | 'Failed' | 'Deleting';

/** Status of an endpoint at `now`, or 'Gone' once its deletion finished. */
export function endpointStatusAt(endpoint: EndpointRecord, now: number): EmulatedEndpointStatus | 'Gone' {
  if (endpoint.deletingAt !== undefined) {
    return now < endpoint.deletingAt + endpoint.deletionMs ? 'Deleting' : 'Gone';
  }
  if (endpoint.readyAt === null || now < endpoint.readyAt) return 'Creating';
  return endpoint.outcome;
}

/** Last time the endpoint's status changed (as LastModifiedTime reports it). */
export function lastModifiedAt(endpoint: EndpointRecord, now: number): number {
  if (endpoint.deletingAt !== undefined) return endpoint.deletingAt;
  if (endpoint.readyAt !== null && now >= endpoint.readyAt) return endpoint.readyAt;
  return endpoint.createdAt;
}

/** AWS seconds an endpoint spends Creating, unless a fault says otherwise. */
export const ENDPOINT_CREATION_SECONDS = { instance: 240, serverless: 120 } as const;
/** AWS seconds an endpoint spends Deleting. */
export const ENDPOINT_DELETION_SECONDS = 30;

/** True for an image the emulated SageMaker can pull: an Amazon ECR repository URI. */
export function isEcrImage(image: string): boolean {
  return /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9][a-z0-9._/-]*(:[\w.-]{1,128}|@sha256:[a-f0-9]{64})?$/.test(
    image,
  );
}

/** Why a variant cannot start (SageMaker's FailureReason), or undefined when it would serve. */
export function variantFailure(
  variant: DeployedVariant,
  modelArn: string,
  modelExists: boolean,
): string | undefined {
  if (!modelExists) return `Could not find model "${modelArn}".`;
  if (variant.image === undefined || !isEcrImage(variant.image)) {
    return (
      `Failed to pull image "${variant.image ?? ''}" for production variant ${variant.variantName}. ` +
      'Make sure the image is an Amazon ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>) ' +
      "that exists and that the model's execution role may pull."
    );
  }
  // A container that forwards to a real inference server starts whatever HF_TASK says.
  if (variant.environment.LOCAL_INFERENCE_URL !== undefined) return undefined;
  return pingFailure(variant.environment, variant.modelDataUrl, variant.variantName);
}

/** Effects of a `SageMaker.EndpointLifecycle` fault, validated. */
export interface LifecycleFault {
  readonly endpointStatus?: 'Failed' | 'Creating' | 'InService';
  readonly failureReason?: string;
  readonly creationSeconds?: number;
  readonly deletionSeconds?: number;
}

const LIFECYCLE_KEYS = ['endpointStatus', 'failureReason', 'creationSeconds', 'deletionSeconds'] as const;

/** True for fault outcomes the EndpointLifecycle pseudo-operation applies. */
export function isLifecycleOutcome(outcome: FaultOutcome): boolean {
  return LIFECYCLE_KEYS.some((k) => k in outcome);
}

/** Reads a lifecycle fault's effects, refusing values it cannot apply (a typo must not pass silently). */
export function lifecycleFault(outcome: FaultOutcome): LifecycleFault {
  const bad = (why: string): AwsError =>
    new AwsError(
      'ValidationException',
      `Declared fault for SageMaker.EndpointLifecycle: ${why} (see local/SUPPORT.md).`,
    );
  const { endpointStatus, failureReason, creationSeconds, deletionSeconds } = outcome;
  if (
    endpointStatus !== undefined &&
    !(typeof endpointStatus === 'string' && ['Failed', 'Creating', 'InService'].includes(endpointStatus))
  ) {
    throw bad(
      `endpointStatus must be "Failed", "Creating" (stuck) or "InService"; got ${JSON.stringify(endpointStatus)}`,
    );
  }
  if (failureReason !== undefined && typeof failureReason !== 'string')
    throw bad('failureReason must be a string');
  for (const [key, value] of [
    ['creationSeconds', creationSeconds],
    ['deletionSeconds', deletionSeconds],
  ] as const) {
    if (value !== undefined && !(typeof value === 'number' && value >= 0)) {
      throw bad(`${key} must be a number of AWS seconds >= 0; got ${JSON.stringify(value)}`);
    }
  }
  return {
    ...(endpointStatus === undefined
      ? {}
      : { endpointStatus: endpointStatus as 'Failed' | 'Creating' | 'InService' }),
    ...(typeof failureReason === 'string' ? { failureReason } : {}),
    ...(typeof creationSeconds === 'number' ? { creationSeconds } : {}),
    ...(typeof deletionSeconds === 'number' ? { deletionSeconds } : {}),
  };
}

/** Effects of a `SageMaker.EndpointConfigVisibility` fault: how long CreateEndpoint does not see a new config. */
export interface ConfigVisibilityFault {
  /** AWS seconds (scaled) after creation. */
  readonly invisibleSeconds?: number;
  /** CreateEndpoint calls naming the config that do not see it (deterministic, for tests across real time). */
  readonly invisibleCalls?: number;
}

/** Reads a visibility fault, refusing values it cannot apply (a typo must not pass silently). */
export function configVisibilityFault(outcome: FaultOutcome): ConfigVisibilityFault {
  const { invisibleSeconds, invisibleCalls } = outcome;
  const bad = (key: string, value: unknown, what: string): AwsError =>
    new AwsError(
      'ValidationException',
      `Declared fault for SageMaker.EndpointConfigVisibility: ${key} must be ${what}; got ${JSON.stringify(value)} (see local/SUPPORT.md).`,
    );
  if (
    invisibleSeconds !== undefined &&
    !(typeof invisibleSeconds === 'number' && invisibleSeconds >= 0 && Number.isFinite(invisibleSeconds))
  ) {
    throw bad('invisibleSeconds', invisibleSeconds, 'a number of AWS seconds >= 0');
  }
  if (
    invisibleCalls !== undefined &&
    !(typeof invisibleCalls === 'number' && Number.isInteger(invisibleCalls) && invisibleCalls >= 0)
  ) {
    throw bad('invisibleCalls', invisibleCalls, 'a whole number >= 0');
  }
  if (invisibleSeconds === undefined && invisibleCalls === undefined) {
    throw bad('invisibleSeconds', invisibleSeconds, 'a number of AWS seconds >= 0 (or give invisibleCalls)');
  }
  return {
    ...(typeof invisibleSeconds === 'number' ? { invisibleSeconds } : {}),
    ...(typeof invisibleCalls === 'number' ? { invisibleCalls } : {}),
  };
}

/** True for fault outcomes the EndpointConfigVisibility pseudo-operation applies. */
export function isConfigVisibilityOutcome(outcome: FaultOutcome): boolean {
  return 'invisibleSeconds' in outcome || 'invisibleCalls' in outcome;
}

/**
 * Statuses in which SageMaker refuses DeleteEndpoint: a CreateEndpoint or UpdateEndpoint is still
 * running (EndpointSummary reference: SystemUpdating "cannot be updated or deleted"). Of these the
 * emulator produces Creating.
 */
export const DELETE_REFUSED_STATUSES: ReadonlySet<string> = new Set([
  'Creating',
  'Updating',
  'SystemUpdating',
  'RollingBack',
]);

// --- validation messages ------------------------------------------------------------------------

/** SageMaker's name rule for models, endpoint configurations and endpoints. */
const NAME_PATTERN = '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}';
const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** The constraint violations of a resource name, worded as SageMaker words them. */
function nameViolations(value: string | undefined, member: string): string[] {
  if (value === undefined)
    return [`Value null at '${member}' failed to satisfy constraint: Member must not be null`];
  const out: string[] = [];
  if (value.length > 63) {
    out.push(
      `Value '${value}' at '${member}' failed to satisfy constraint: Member must have length less than or equal to 63`,
    );
  }
  if (!NAME_RE.test(value)) {
    out.push(
      `Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
    );
  }
  return out;
}

/** Throws SageMaker's "N validation error(s) detected: ..." when there are violations. */
export function throwIfViolations(violations: readonly string[]): void {
  if (violations.length === 0) return;
  const n = violations.length;
  throw new AwsError(
    'ValidationException',
    `${n} validation error${n === 1 ? '' : 's'} detected: ${violations.join('; ')}`,
  );
}

function requireName(value: string | undefined, member: string): string {
  throwIfViolations(nameViolations(value, member));
  return value ?? '';
}

function enumViolation(value: string | undefined, member: string, allowed: readonly string[]): string[] {
  return value === undefined || allowed.includes(value)
    ? []
    : [
        `Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
      ];
}

function maxResultsOf(input: Readonly<Record<string, unknown>>, max = 100, fallback = 10): number {
  const value = optionalNumber(input, 'MaxResults');
  if (value === undefined) return fallback;
  throwIfViolations(
    value < 1
      ? [
          `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1`,
        ]
      : value > max
        ? [
            `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
          ]
        : [],
  );
  return Math.floor(value);
}

function tagsOf(input: Readonly<Record<string, unknown>>): Tag[] {
  return objectList(input, 'Tags').map((t, i) => {
    const key = optionalString(t, 'Key');
    throwIfViolations(
      key === undefined
        ? [`Value null at 'tags.${i + 1}.member.key' failed to satisfy constraint: Member must not be null`]
        : [],
    );
    return { Key: key ?? '', Value: optionalString(t, 'Value') ?? '' };
  });
}

function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(existing.map((t) => [t.Key, t]));
  for (const t of added) byKey.set(t.Key, t);
  return [...byKey.values()];
}

const epochSeconds = (ms: number): number => ms / 1000;

// --- the emulator --------------------------------------------------------------------------------

/** What SageMaker Runtime needs to invoke an InService endpoint. */
export interface InvocationTarget {
  readonly endpointName: string;
  readonly variant: DeployedVariant;
  /** What the emulated HuggingFace container serves; undefined when it forwards (LOCAL_INFERENCE_URL). */
  readonly model: HfModel | undefined;
}

/** The emulated SageMaker control plane. */
export class SageMakerEmulator {
  /** The awsJson service for the AWS API port. */
  readonly service: LocalService;
  private readonly store: JsonStore<SageMakerState>;

  constructor(
    private readonly ctx: ServiceContext,
    file: string | null,
  ) {
    this.store = new JsonStore<SageMakerState>(file, () => ({
      models: {},
      endpointConfigs: {},
      endpoints: {},
    }));
    this.service = jsonService({
      id: 'SageMaker',
      targetPrefix: 'SageMaker',
      protocol: '1.1',
      ctx,
      operations: {
        CreateModel: (i) => this.createModel(i),
        DescribeModel: (i) => this.describeModel(i),
        DeleteModel: (i) => this.deleteModel(i),
        ListModels: (i) => this.listModels(i),
        CreateEndpointConfig: (i) => this.createEndpointConfig(i),
        DescribeEndpointConfig: (i) => this.describeEndpointConfig(i),
        DeleteEndpointConfig: (i) => this.deleteEndpointConfig(i),
        ListEndpointConfigs: (i) => this.listEndpointConfigs(i),
        CreateEndpoint: (i) => this.createEndpoint(i),
        DescribeEndpoint: (i) => this.describeEndpoint(i),
        DeleteEndpoint: (i) => this.deleteEndpoint(i),
        ListEndpoints: (i) => this.listEndpoints(i),
        AddTags: (i) => this.addTags(i),
        ListTags: (i) => this.listTags(i),
        DeleteTags: (i) => this.deleteTags(i),
      },
    });
  }

  private now(): number {
    return this.ctx.clock.now().getTime();
  }

  private arn(type: 'model' | 'endpoint-config' | 'endpoint', name: string): string {
    // SageMaker lower-cases names in ARNs.
    return `arn:aws:sagemaker:${this.ctx.region}:${this.ctx.accountId}:${type}/${name.toLowerCase()}`;
  }

  /** Drops endpoints whose deletion finished, so every operation sees them gone. */
  private sweep(): void {
    const now = this.now();
    const gone = Object.entries(this.store.state.endpoints).filter(
      ([, e]) => endpointStatusAt(e, now) === 'Gone',
    );
    if (gone.length === 0) return;
    this.store.mutate((s) => {
      for (const [key] of gone) delete s.endpoints[key];
    });
  }

  // Models

  private createModel(input: Readonly<Record<string, unknown>>): unknown {
    const name = requireName(optionalString(input, 'ModelName'), 'modelName');
    const role = optionalString(input, 'ExecutionRoleArn');
    throwIfViolations(
      role !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(role)
        ? [
            `Value '${role}' at 'executionRoleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$`,
          ]
        : [],
    );
    if (
      optionalObject(input, 'PrimaryContainer') === undefined &&
      objectList(input, 'Containers').length === 0
    ) {
      throw new AwsError('ValidationException', 'Either PrimaryContainer or Containers must be provided.');
    }
    const arn = this.arn('model', name);
    const tags = tagsOf(input);
    return this.store.mutate((s) => {
      const key = name.toLowerCase();
      if (s.models[key] !== undefined) {
        throw new AwsError('ValidationException', `Cannot create already existing model "${arn}".`);
      }
      const { ModelName: _n, Tags: _t, ...definition } = input;
      s.models[key] = { name, arn, createdAt: this.now(), definition, tags };
      return { ModelArn: arn };
    });
  }

  private describeModel(input: Readonly<Record<string, unknown>>): unknown {
    const name = requireName(optionalString(input, 'ModelName'), 'modelName');
    const model = this.store.state.models[name.toLowerCase()];
    if (model === undefined) throw new AwsError('ValidationException', `Could not find model "${name}".`);
    return {
      ModelName: model.name,
      ModelArn: model.arn,
      CreationTime: epochSeconds(model.createdAt),
      EnableNetworkIsolation: false,
      ...model.definition,
    };
  }

  private deleteModel(input: Readonly<Record<string, unknown>>): unknown {
    const name = requireName(optionalString(input, 'ModelName'), 'modelName');
    return this.store.mutate((s) => {
      const key = name.toLowerCase();
      if (s.models[key] === undefined) {
        throw new AwsError('ValidationException', `Could not find model "${this.arn('model', name)}".`);
      }
      // Like SageMaker, endpoints already created keep serving the model they deployed.
      delete s.models[key];
      return {};
    });
  }

  private listModels(input: Readonly<Record<string, unknown>>): unknown {
    const page = this.listSorted(input, Object.values(this.store.state.models), ['Name', 'CreationTime']);
    return {
      Models: page.items.map((m) => ({
        ModelName: m.name,
        ModelArn: m.arn,
        CreationTime: epochSeconds(m.createdAt),
      })),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  // Endpoint configurations

  private createEndpointConfig(input: Readonly<Record<string, unknown>>): unknown {
    const name = requireName(optionalString(input, 'EndpointConfigName'), 'endpointConfigName');
    const variants = objectList(input, 'ProductionVariants');
    throwIfViolations(
      variants.length === 0
        ? ["Value null at 'productionVariants' failed to satisfy constraint: Member must not be null"]
        : variants.flatMap((v, i) => [
            ...(optionalString(v, 'VariantName') === undefined
              ? [
                  `Value null at 'productionVariants.${i + 1}.member.variantName' failed to satisfy constraint: Member must not be null`,
                ]
              : []),
            ...nameViolations(optionalString(v, 'ModelName'), `productionVariants.${i + 1}.member.modelName`),
          ]),
    );
    for (const v of variants) {
      if (
        optionalString(v, 'InstanceType') === undefined &&
        optionalObject(v, 'ServerlessConfig') === undefined
      ) {
        throw new AwsError(
          'ValidationException',
          `Either InstanceType or ServerlessConfig must be specified for production variant ${optionalString(v, 'VariantName') ?? ''}.`,
        );
      }
      const modelName = optionalString(v, 'ModelName') ?? '';
      if (this.store.state.models[modelName.toLowerCase()] === undefined) {
        throw new AwsError('ValidationException', `Could not find model "${this.arn('model', modelName)}".`);
      }
    }
    const arn = this.arn('endpoint-config', name);
    const tags = tagsOf(input);
    const visibility = this.ctx.faults.take(
      'SageMaker.EndpointConfigVisibility',
      input,
      isConfigVisibilityOutcome,
    );
    const hidden = visibility === undefined ? {} : configVisibilityFault(visibility);
    return this.store.mutate((s) => {
      const key = name.toLowerCase();
      if (s.endpointConfigs[key] !== undefined) {
        throw new AwsError(
          'ValidationException',
          `Cannot create already existing endpoint configuration "${arn}".`,
        );
      }
      const { EndpointConfigName: _n, Tags: _t, ...definition } = input;
      const now = this.now();
      s.endpointConfigs[key] = {
        name,
        arn,
        createdAt: now,
        definition,
        tags,
        ...(hidden.invisibleSeconds === undefined
          ? {}
          : { visibleAt: now + this.ctx.clock.scaledMs(hidden.invisibleSeconds) }),
        ...(hidden.invisibleCalls === undefined || hidden.invisibleCalls === 0
          ? {}
          : { invisibleCalls: hidden.invisibleCalls }),
      };
      return { EndpointConfigArn: arn };
    });
  }

  private describeEndpointConfig(input: Readonly<Record<string, unknown>>): unknown {
    const name = requireName(optionalString(input, 'EndpointConfigName'), 'endpointConfigName');
    const config = this.store.state.endpointConfigs[name.toLowerCase()];
    if (config === undefined) {
      throw new AwsError('ValidationException', `Could not find endpoint configuration "${name}".`);
    }
    return {
      EndpointConfigName: config.name,
      EndpointConfigArn: config.arn,
      CreationTime: epochSeconds(config.createdAt),
      ...config.definition,
    };
  }

  private deleteEndpointConfig(input: Readonly<Record<string, unknown>>): unknown {
    const name = requireName(optionalString(input, 'EndpointConfigName'), 'endpointConfigName');
    return this.store.mutate((s) => {
      const key = name.toLowerCase();
      if (s.endpointConfigs[key] === undefined) {
        throw new AwsError(
          'ValidationException',
          `Could not find endpoint configuration "${this.arn('endpoint-config', name)}".`,
        );
      }
      delete s.endpointConfigs[key];
      return {};
    });
  }

  private listEndpointConfigs(input: Readonly<Record<string, unknown>>): unknown {
    const page = this.listSorted(input, Object.values(this.store.state.endpointConfigs), [
      'Name',
      'CreationTime',
    ]);
    return {
      EndpointConfigs: page.items.map((c) => ({
        EndpointConfigName: c.name,
        EndpointConfigArn: c.arn,
        CreationTime: epochSeconds(c.createdAt),
      })),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  // Endpoints

  private createEndpoint(input: Readonly<Record<string, unknown>>): unknown {
    this.sweep();
    const name = requireName(optionalString(input, 'EndpointName'), 'endpointName');
    const configName = requireName(optionalString(input, 'EndpointConfigName'), 'endpointConfigName');
    const arn = this.arn('endpoint', name);
    const tags = tagsOf(input);
    if (this.store.state.endpoints[name.toLowerCase()] !== undefined) {
      throw new AwsError('ValidationException', `Cannot create already existing endpoint "${arn}".`);
    }
    const config = this.store.state.endpointConfigs[configName.toLowerCase()];
    // A config not yet visible to CreateEndpoint answers as a missing one (CreateEndpoint reference:
    // the config is read eventually consistently; retry).
    const hiddenByCalls = config?.invisibleCalls !== undefined && config.invisibleCalls > 0;
    if (config !== undefined && hiddenByCalls) {
      const key = configName.toLowerCase();
      this.store.mutate((s) => {
        const stored = s.endpointConfigs[key];
        if (stored?.invisibleCalls !== undefined) {
          s.endpointConfigs[key] = { ...stored, invisibleCalls: stored.invisibleCalls - 1 };
        }
      });
    }
    if (
      config === undefined ||
      hiddenByCalls ||
      (config.visibleAt !== undefined && this.now() < config.visibleAt)
    ) {
      throw new AwsError(
        'ValidationException',
        `Could not find endpoint configuration "${this.arn('endpoint-config', configName)}".`,
      );
    }
    const variants = objectList(config.definition, 'ProductionVariants').map((v) => this.deployVariant(v));
    const outcome = this.ctx.faults.take('SageMaker.EndpointLifecycle', input, isLifecycleOutcome);
    const fault = outcome === undefined ? {} : lifecycleFault(outcome);
    const failure = variants
      .map((v) =>
        variantFailure(
          v,
          this.arn('model', v.modelName),
          this.store.state.models[v.modelName.toLowerCase()] !== undefined,
        ),
      )
      .find((f) => f !== undefined);
    const serverless = variants.length > 0 && variants.every((v) => v.serverless !== undefined);
    const creationSeconds =
      fault.creationSeconds ??
      (serverless ? ENDPOINT_CREATION_SECONDS.serverless : ENDPOINT_CREATION_SECONDS.instance);
    const now = this.now();
    const failed =
      fault.endpointStatus === 'Failed' || (fault.endpointStatus === undefined && failure !== undefined);
    const failureReason = failed
      ? (fault.failureReason ?? failure ?? pingFailureReason(variants[0]?.variantName ?? 'AllTraffic'))
      : undefined;
    const record: EndpointRecord = {
      name,
      arn,
      configName: config.name,
      createdAt: now,
      readyAt: fault.endpointStatus === 'Creating' ? null : now + this.ctx.clock.scaledMs(creationSeconds),
      outcome: failed ? 'Failed' : 'InService',
      ...(failureReason === undefined ? {} : { failureReason }),
      deletionMs: this.ctx.clock.scaledMs(fault.deletionSeconds ?? ENDPOINT_DELETION_SECONDS),
      variants,
      tags,
    };
    this.store.mutate((s) => {
      s.endpoints[name.toLowerCase()] = record;
    });
    return { EndpointArn: arn };
  }

  /** Captures what a production variant deploys: the model's first container as it is now. */
  private deployVariant(variant: Readonly<Record<string, unknown>>): DeployedVariant {
    const modelName = optionalString(variant, 'ModelName') ?? '';
    const model = this.store.state.models[modelName.toLowerCase()];
    const container =
      (model === undefined ? undefined : optionalObject(model.definition, 'PrimaryContainer')) ??
      (model === undefined ? undefined : objectList(model.definition, 'Containers')[0]);
    const serverless = optionalObject(variant, 'ServerlessConfig');
    const instanceCount = optionalNumber(variant, 'InitialInstanceCount');
    const instanceType = optionalString(variant, 'InstanceType');
    const image = container === undefined ? undefined : optionalString(container, 'Image');
    const modelDataUrl = container === undefined ? undefined : optionalString(container, 'ModelDataUrl');
    return {
      variantName: optionalString(variant, 'VariantName') ?? 'AllTraffic',
      modelName: model?.name ?? modelName,
      image,
      environment: (container === undefined ? undefined : optionalStringMap(container, 'Environment')) ?? {},
      modelDataUrl,
      weight: optionalNumber(variant, 'InitialVariantWeight') ?? 1,
      instanceType,
      instanceCount,
      serverless,
    };
  }

  private describeEndpoint(input: Readonly<Record<string, unknown>>): unknown {
    this.sweep();
    const name = requireName(optionalString(input, 'EndpointName'), 'endpointName');
    const endpoint = this.store.state.endpoints[name.toLowerCase()];
    if (endpoint === undefined)
      throw new AwsError('ValidationException', `Could not find endpoint "${name}".`);
    const now = this.now();
    const status = endpointStatusAt(endpoint, now);
    return {
      EndpointName: endpoint.name,
      EndpointArn: endpoint.arn,
      EndpointConfigName: endpoint.configName,
      EndpointStatus: status,
      CreationTime: epochSeconds(endpoint.createdAt),
      LastModifiedTime: epochSeconds(lastModifiedAt(endpoint, now)),
      ...(status === 'Failed' && endpoint.failureReason !== undefined
        ? { FailureReason: endpoint.failureReason }
        : {}),
      ...(status === 'InService' || status === 'Deleting'
        ? {
            ProductionVariants: endpoint.variants.map((v) =>
              variantSummary(v, endpoint.readyAt ?? endpoint.createdAt),
            ),
          }
        : {}),
    };
  }

  private deleteEndpoint(input: Readonly<Record<string, unknown>>): unknown {
    this.sweep();
    const name = requireName(optionalString(input, 'EndpointName'), 'endpointName');
    return this.store.mutate((s) => {
      const key = name.toLowerCase();
      const endpoint = s.endpoints[key];
      if (endpoint === undefined) {
        throw new AwsError('ValidationException', `Could not find endpoint "${this.arn('endpoint', name)}".`);
      }
      const status = endpointStatusAt(endpoint, this.now());
      // SageMaker refuses to delete an endpoint whose creation (or update) is still running; the
      // caller must wait until it is InService or Failed.
      if (DELETE_REFUSED_STATUSES.has(status)) {
        throw new AwsError('ValidationException', `Cannot update in-progress endpoint "${endpoint.arn}".`);
      }
      // A second DeleteEndpoint while Deleting changes nothing.
      if (endpoint.deletingAt === undefined) s.endpoints[key] = { ...endpoint, deletingAt: this.now() };
      return {};
    });
  }

  private listEndpoints(input: Readonly<Record<string, unknown>>): unknown {
    this.sweep();
    const now = this.now();
    const statusEquals = optionalString(input, 'StatusEquals');
    throwIfViolations(
      enumViolation(statusEquals, 'statusEquals', [
        'OutOfService',
        'Creating',
        'Updating',
        'SystemUpdating',
        'RollingBack',
        'InService',
        'Deleting',
        'Failed',
        'UpdateRollbackFailed',
      ]),
    );
    const rows = Object.values(this.store.state.endpoints).map((e) => ({
      name: e.name,
      arn: e.arn,
      createdAt: e.createdAt,
      modifiedAt: lastModifiedAt(e, now),
      status: endpointStatusAt(e, now),
    }));
    const page = this.listSorted(
      input,
      rows.filter((r) => statusEquals === undefined || r.status === statusEquals),
      ['Name', 'CreationTime', 'Status'],
    );
    return {
      Endpoints: page.items.map((r) => ({
        EndpointName: r.name,
        EndpointArn: r.arn,
        CreationTime: epochSeconds(r.createdAt),
        LastModifiedTime: epochSeconds(r.modifiedAt),
        EndpointStatus: r.status,
      })),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  /** The common List* filters (NameContains, creation/modification times), sort and pagination. */
  private listSorted<T extends { name: string; createdAt: number; modifiedAt?: number; status?: string }>(
    input: Readonly<Record<string, unknown>>,
    rows: readonly T[],
    sortKeys: readonly string[],
  ): { items: readonly T[]; nextToken: string | undefined } {
    const sortBy = optionalString(input, 'SortBy') ?? 'CreationTime';
    const sortOrder = optionalString(input, 'SortOrder') ?? 'Descending';
    throwIfViolations([
      ...enumViolation(sortBy, 'sortBy', sortKeys),
      ...enumViolation(sortOrder, 'sortOrder', ['Ascending', 'Descending']),
    ]);
    const maxResults = maxResultsOf(input);
    const contains = optionalString(input, 'NameContains')?.toLowerCase();
    const before = optionalEpochSeconds(input, 'CreationTimeBefore');
    const after = optionalEpochSeconds(input, 'CreationTimeAfter');
    const modBefore = optionalEpochSeconds(input, 'LastModifiedTimeBefore');
    const modAfter = optionalEpochSeconds(input, 'LastModifiedTimeAfter');
    const filtered = rows.filter(
      (r) =>
        (contains === undefined || r.name.toLowerCase().includes(contains)) &&
        (before === undefined || r.createdAt < before) &&
        (after === undefined || r.createdAt > after) &&
        (modBefore === undefined || (r.modifiedAt ?? r.createdAt) < modBefore) &&
        (modAfter === undefined || (r.modifiedAt ?? r.createdAt) > modAfter),
    );
    const key = (r: T): string | number =>
      sortBy === 'Name' ? r.name : sortBy === 'Status' ? (r.status ?? '') : r.createdAt;
    const sorted = [...filtered].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const c = ka < kb ? -1 : ka > kb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
      return sortOrder === 'Ascending' ? c : -c;
    });
    const query = JSON.stringify([
      sortBy,
      sortOrder,
      contains,
      before,
      after,
      modBefore,
      modAfter,
      input.StatusEquals,
    ]);
    return paginate(sorted, maxResults, optionalString(input, 'NextToken'), query);
  }

  // Tags

  private resourceByArn(arn: string | undefined): {
    kind: 'models' | 'endpointConfigs' | 'endpoints';
    key: string;
    tags: readonly Tag[];
  } {
    throwIfViolations(
      arn === undefined
        ? ["Value null at 'resourceArn' failed to satisfy constraint: Member must not be null"]
        : [],
    );
    this.sweep();
    const s = this.store.state;
    for (const kind of ['models', 'endpointConfigs', 'endpoints'] as const) {
      const table: Readonly<Record<string, { readonly arn: string; readonly tags: readonly Tag[] }>> =
        s[kind];
      const found = Object.entries(table).find(([, r]) => r.arn === arn?.toLowerCase());
      if (found !== undefined) return { kind, key: found[0], tags: found[1].tags };
    }
    throw new AwsError('ValidationException', `Could not find resource "${arn ?? ''}".`);
  }

  private addTags(input: Readonly<Record<string, unknown>>): unknown {
    const target = this.resourceByArn(optionalString(input, 'ResourceArn'));
    const tags = tagsOf(input);
    const merged = mergeTags(target.tags, tags);
    if (merged.length > 50) {
      throw new AwsError('ValidationException', `Tags size of ${merged.length} exceeds the maximum of 50.`);
    }
    this.store.mutate((s) => {
      const table = s[target.kind] as Record<string, { tags: readonly Tag[] }>;
      const record = table[target.key];
      if (record !== undefined) table[target.key] = { ...record, tags: merged };
    });
    return { Tags: tags };
  }

  private listTags(input: Readonly<Record<string, unknown>>): unknown {
    const target = this.resourceByArn(optionalString(input, 'ResourceArn'));
    const page = paginate(
      target.tags,
      maxResultsOf(input, 100, 50),
      optionalString(input, 'NextToken'),
      `tags:${target.key}`,
    );
    return { Tags: page.items, ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }) };
  }

  private deleteTags(input: Readonly<Record<string, unknown>>): unknown {
    const target = this.resourceByArn(optionalString(input, 'ResourceArn'));
    const keys = new Set(
      (Array.isArray(input.TagKeys) ? input.TagKeys : []).filter((k): k is string => typeof k === 'string'),
    );
    this.store.mutate((s) => {
      const table = s[target.kind] as Record<string, { tags: readonly Tag[] }>;
      const record = table[target.key];
      if (record !== undefined)
        table[target.key] = { ...record, tags: record.tags.filter((t) => !keys.has(t.Key)) };
    });
    return {};
  }

  // For the rest of the data plane

  /** The endpoint and variant an invocation goes to, or undefined unless the endpoint is InService. */
  invocationTarget(endpointName: string): InvocationTarget | undefined {
    this.sweep();
    const endpoint = this.store.state.endpoints[endpointName.toLowerCase()];
    if (endpoint === undefined || endpointStatusAt(endpoint, this.now()) !== 'InService') return undefined;
    // All traffic goes to the heaviest variant: deterministic, and what a single-variant endpoint does.
    const variant = [...endpoint.variants].sort((a, b) => b.weight - a.weight)[0];
    if (variant === undefined) return undefined;
    return {
      endpointName: endpoint.name,
      variant,
      model:
        variant.environment.LOCAL_INFERENCE_URL === undefined
          ? hfModelOf(variant.environment, variant.modelDataUrl)
          : undefined,
    };
  }

  /** Models, configs and endpoints with their current status. */
  inventory(): Record<string, unknown> {
    this.sweep();
    const now = this.now();
    const s = this.store.state;
    return {
      models: Object.values(s.models).map((m) => ({
        name: m.name,
        createdAt: new Date(m.createdAt).toISOString(),
      })),
      endpointConfigs: Object.values(s.endpointConfigs).map((c) => ({
        name: c.name,
        createdAt: new Date(c.createdAt).toISOString(),
      })),
      endpoints: Object.values(s.endpoints).map((e) => ({
        name: e.name,
        configName: e.configName,
        status: endpointStatusAt(e, now),
        ...(e.failureReason === undefined || endpointStatusAt(e, now) !== 'Failed'
          ? {}
          : { failureReason: e.failureReason }),
        createdAt: new Date(e.createdAt).toISOString(),
      })),
    };
  }

  /** Empties the store. */
  reset(): void {
    this.store.reset();
  }
}

/** DescribeEndpoint's ProductionVariantSummary of a deployed variant. */
function variantSummary(v: DeployedVariant, deployedAt: number): Record<string, unknown> {
  const image = v.image ?? '';
  const repository = image.replace(/(:[\w.-]+|@sha256:[a-f0-9]{64})$/, '');
  const digest = createHash('sha256').update(image).digest('hex');
  return {
    VariantName: v.variantName,
    DeployedImages: [
      {
        SpecifiedImage: image,
        ResolvedImage: `${repository}@sha256:${digest}`,
        ResolutionTime: epochSeconds(deployedAt),
      },
    ],
    CurrentWeight: v.weight,
    DesiredWeight: v.weight,
    ...(v.serverless === undefined
      ? { CurrentInstanceCount: v.instanceCount ?? 1, DesiredInstanceCount: v.instanceCount ?? 1 }
      : { CurrentServerlessConfig: v.serverless, DesiredServerlessConfig: v.serverless }),
  };
}
