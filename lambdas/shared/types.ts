import type { RolloutSpec } from '../../pipeline/spec/schema';

/**
 * Response header of the public API naming the endpoint that served (or would serve) the request, or
 * `none`: set by the proxy on every answer, read by smoke tests, health checks and the CLI.
 */
export const SERVED_BY_HEADER = 'x-served-by-endpoint';

/**
 * The data the rollout state machine passes from step to step. Each step handler receives the whole
 * state and returns it updated (Task states have no ResultPath, except where the ASL says otherwise),
 * so the Catch of any step sees everything known before that step.
 */

/** How a service is reached; written by its serving stack (or the local cloud) to SSM. */
export interface ServiceRegistration {
  readonly service: string;
  /** Name of the inference proxy Lambda whose ENDPOINT_NAME the rollout switches. */
  readonly proxyFunctionName: string;
  /** CloudFront distribution id; null when the service has no CDN (then Refresh CDN does nothing). */
  readonly distributionId: string | null;
  /** Public base URL; `POST {publicUrl}/predict` and `GET {publicUrl}/model`. */
  readonly publicUrl: string;
  /** Secrets Manager secret (ARN or name) holding the API key viewers send as `x-api-key`; null when auth is off. */
  readonly apiKeySecretId: string | null;
  /** Role SageMaker assumes to pull the image and write logs. */
  readonly sagemakerRoleArn: string;
}

/** One deployment the API can point at. */
export interface LiveTarget {
  readonly rolloutId: string;
  readonly endpointName: string;
  readonly endpointConfigName: string;
  readonly modelName: string;
  readonly modelId: string;
  readonly modelRevision: string;
  readonly task: string;
  /** When the API started serving it (ISO 8601). */
  readonly since: string;
  /** Execution that created it (its input holds the spec, e.g. the smoke tests health checks reuse). */
  readonly executionArn: string;
}

/** Why a switch of the proxy is under way: a deployment, a rollback, or Roll Back restoring what served before. */
export type PendingSwitchKind = 'deploy' | 'rollback' | 'restore';

/**
 * A switch of the proxy's ENDPOINT_NAME that was decided but not yet recorded as done (intent before
 * action): written into the live pointer before the proxy is touched, cleared once the pointer records
 * the result. While it is there the proxy serves either `current` or `pending.target`; the next
 * reconcile (lambdas/shared/reconcile.ts) reads which and commits or drops it. The proxy never reads it.
 */
export interface PendingSwitch {
  readonly target: LiveTarget;
  /** The execution switching (a deploy's or rollback's own id; for 'restore', the failed rollout's). */
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly kind: PendingSwitchKind;
  /** When the intent was written (ISO 8601). */
  readonly since: string;
}

/** What the API serves now and the deployments kept for instant rollback; stored as JSON in SSM. */
export interface LivePointer {
  readonly current: LiveTarget;
  /** Most recent first; at most the spec's keepPreviousEndpoints. */
  readonly previous: readonly LiveTarget[];
  /** A switch under way (absent when none): see PendingSwitch. */
  readonly pending?: PendingSwitch;
}

/**
 * The live pointer parameter as stored. Before a service's first switch is recorded, `current` is null
 * and only `pending` is set; readers that want what serves use LivePointer (null: nothing yet).
 */
export interface LiveRecord {
  readonly current: LiveTarget | null;
  readonly previous: readonly LiveTarget[];
  readonly pending: PendingSwitch | null;
}

/** One disagreement between the records and what the proxy serves, found and repaired by a reconcile. */
export interface Repair {
  /** The rollout the finding is about (e.g. the interrupted one). */
  readonly rolloutId: string;
  /** What was found, as a sentence ("rollout X went live; it was interrupted after Switch API Target"). */
  readonly finding: string;
  /** What was done about it ("recorded X as live in the pointer"), or why nothing was. */
  readonly action: string;
}

/** SageMaker EndpointStatus values, plus the two this project adds for "not created" and "gone". */
export type EndpointStatus =
  | 'OutOfService'
  | 'Creating'
  | 'Updating'
  | 'SystemUpdating'
  | 'RollingBack'
  | 'InService'
  | 'Deleting'
  | 'Failed'
  | 'UpdateRollbackFailed'
  | 'NotCreated'
  | 'Deleted';

/** A bounded polling loop driven by the ASL (Wait → Check → Choice). */
export interface PollState {
  readonly pollIntervalSeconds: number;
  readonly maxAttempts: number;
  readonly attempts: number;
  readonly status: EndpointStatus;
  readonly failureReason?: string;
}

/** What one smoke invocation saw. */
export interface SmokeResult {
  readonly name: string;
  readonly passed: boolean;
  /** HTTP-like status: 200 for a successful InvokeEndpoint, the container's status for ModelError, null if no answer. */
  readonly status: number | null;
  readonly latencyMs: number;
  /** One line per unmet expectation. */
  readonly failures: readonly string[];
  /** First 512 characters of the answer, for people reading history. */
  readonly responsePreview: string;
  readonly contentType?: string;
  /** Endpoint that answered (through the public URL: from the response header). */
  readonly servedBy?: string;
}

/** Wall time of one step execution (Check Endpoint appears once per poll). */
export interface StepTiming {
  readonly step: string;
  readonly startedAt: string;
  readonly durationMs: number;
}

/** What went wrong, set by the ASL's "Record <Step> Failure" states and completed by Clean Up. */
export interface FailureInfo {
  readonly step: string;
  /** Error name, e.g. EndpointFailedError or States.Timeout. */
  readonly error: string;
  /** Raw cause from Step Functions (for Lambda errors a JSON envelope with errorMessage). */
  readonly cause: string;
  /** One paragraph a person can act on; the execution's Cause. Set by Clean Up. */
  readonly summary?: string;
}

/** What Roll Back and Clean Up did. */
export interface RollbackReport {
  /** The API target was restored to what it was before this rollout. */
  readonly restored: boolean;
  /** Resources deleted by name, e.g. "endpoint x". */
  readonly deleted: readonly string[];
  /** Problems met while rolling back (the rollout still fails; these need a person). */
  readonly problems: readonly string[];
}

/** Kind of execution: a deployment of a spec, or a return to a kept earlier deployment. */
export type RolloutKind = 'deploy' | 'rollback';

/** Input a user (the CLI, a schedule, the AWS console) gives the rollout state machine. */
export type RolloutInput =
  | { readonly kind?: 'deploy'; readonly spec: unknown; readonly requestedBy?: string }
  | {
      readonly kind: 'rollback';
      readonly service: string;
      /** Roll back to this kept rollout; default: the most recent previous one. */
      readonly toRolloutId?: string;
      /**
       * Roll back only if this rollout is still live (the pin on what is rolled back FROM): a deployment
       * that went live after the rollback was decided makes Acquire Lock refuse it. Default: no pin.
       */
      readonly fromRolloutId?: string;
      readonly reason?: string;
      readonly requestedBy?: string;
    };

/** The Validate Spec task's input: the execution input plus context-object facts (see the ASL). */
export interface ValidateSpecEvent {
  readonly input: unknown;
  readonly execution: { readonly id: string; readonly name: string; readonly startTime: string };
}

/** Names of this rollout's SageMaker resources (all equal to the rollout id) and the image used. */
export interface RolloutResources {
  readonly modelName: string;
  readonly endpointConfigName: string;
  readonly endpointName: string;
  readonly imageUri: string;
  readonly executionRoleArn: string;
}

/** The state passed between steps. */
export interface RolloutState {
  readonly kind: RolloutKind;
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly startedAt: string;
  readonly requestedBy: string;
  readonly service: ServiceRegistration;
  /** The validated spec with defaults (deploy only). */
  readonly spec: RolloutSpec | null;
  /** Reason given for a rollback (rollback only). */
  readonly reason?: string;
  /** Requested rollback target (rollback only). */
  readonly toRolloutId?: string;
  /** The rollout the rollback expects to be live when it takes the lock (rollback only). */
  readonly fromRolloutId?: string;
  /** This rollout's resources (deploy only). */
  readonly resources: RolloutResources | null;
  /** What the API should serve when the rollout succeeds. Deploy: set by Validate Spec; rollback: by Acquire Lock. */
  readonly target: LiveTarget | null;
  /** The live pointer when the lock was taken (null: nothing deployed yet). Roll Back restores it. */
  readonly pointerBefore: LivePointer | null;
  /** Lock bookkeeping, set by Acquire Lock. */
  readonly lock: {
    readonly acquiredAt: string;
    readonly expiresAt: string;
    readonly tookOverFrom?: string;
  } | null;
  readonly wait: PollState | null;
  readonly deletion: PollState | null;
  readonly smoke: readonly SmokeResult[];
  /** The proxy's ENDPOINT_NAME and the live pointer now name this rollout's target. */
  readonly switched: boolean;
  readonly cdnInvalidationId: string | null;
  readonly publicCheck: SmokeResult | null;
  readonly retired: readonly string[];
  readonly warnings: readonly string[];
  readonly timings: readonly StepTiming[];
  readonly failure?: FailureInfo;
  readonly rollback?: RollbackReport;
  /** What Acquire Lock's reconcile found and repaired before this rollout changed anything. */
  readonly repairs?: readonly Repair[];
}

/** The Deployment record: the execution's output and one row of history. */
export interface DeploymentRecord {
  readonly rolloutId: string;
  readonly kind: RolloutKind;
  readonly service: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly model: { readonly id: string; readonly revision: string; readonly task: string } | null;
  readonly endpointName: string | null;
  readonly endpointConfigName: string | null;
  readonly modelName: string | null;
  readonly imageUri: string | null;
  readonly previousEndpoint: string | null;
  readonly requestedBy: string;
  readonly reason?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Total milliseconds per step name, in first-seen order, with how many times it ran. */
  readonly timings: readonly { readonly step: string; readonly durationMs: number; readonly runs: number }[];
  readonly smoke: readonly SmokeResult[];
  readonly publicCheck: SmokeResult | null;
  readonly retired: readonly string[];
  readonly warnings: readonly string[];
  readonly failure: FailureInfo | null;
  readonly rollback: RollbackReport | null;
  /** What this rollout's Acquire Lock found and repaired (records that disagreed with what served). */
  readonly repairs?: readonly Repair[];
}
