/**
 * Names of rollouts and of the SageMaker resources they create. A rollout's id is its Step Functions
 * execution name and also the name of its SageMaker model, endpoint config and endpoint (the three live
 * in separate namespaces), so every resource traces back to its rollout at a glance.
 *
 * Shape: `<service>--<model slug>-<yyyymmdd>-<hhmmss>-<4 hex>`, at most 63 characters and matching
 * SageMaker's `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}` (also a valid execution name, which allows 80). The
 * double hyphen ends the service part: service names never contain one, so the IAM pattern
 * `sentiment--*` cannot cover `sentiment-v2--...` (as `sentiment-*` would).
 */

/** Ends the service part of every rollout id and SageMaker resource name (service names have no `--`). */
export const SERVICE_NAME_SEPARATOR = '--';

/** Start of every SageMaker resource name (and rollout id) of `service`: `sentiment--`. */
export function serviceResourcePrefix(service: string): string {
  return `${service}${SERVICE_NAME_SEPARATOR}`;
}

/** Longest SageMaker endpoint / config / model name. */
export const MAX_RESOURCE_NAME_LENGTH = 63;
/** SageMaker's name pattern for endpoints, endpoint configs and models. */
export const RESOURCE_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const MAX_SLUG_LENGTH = 20;

/** Short, readable slug of a HuggingFace model id: `distilbert/distilbert-base-uncased-...` → `distilbert-base`. */
export function modelSlug(modelId: string, maxLength = MAX_SLUG_LENGTH): string {
  const last = modelId.split('/').pop() ?? modelId;
  const words = last
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .split('-')
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug === '' ? word : `${slug}-${word}`;
    if (next.length > maxLength) break;
    slug = next;
  }
  if (slug === '') slug = (words[0] ?? 'model').slice(0, maxLength);
  return slug;
}

/** UTC timestamp as `yyyymmdd-hhmmss`. */
export function compactUtc(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** A new rollout id (= execution name = SageMaker resource name). */
export function newRolloutId(
  service: string,
  modelId: string,
  now: Date = new Date(),
  random: () => number = Math.random,
): string {
  const suffix = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  const id = `${serviceResourcePrefix(service)}${modelSlug(modelId)}-${compactUtc(now)}-${suffix}`;
  if (!isResourceName(id)) {
    throw new Error(`Generated rollout id "${id}" is not a valid SageMaker name; shorten the service name.`);
  }
  return id;
}

/** A rollout id for a rollback of a service: `<service>--rollback-<yyyymmdd>-<hhmmss>-<4 hex>`. */
export function newRollbackId(
  service: string,
  now: Date = new Date(),
  random: () => number = Math.random,
): string {
  const suffix = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${serviceResourcePrefix(service)}rollback-${compactUtc(now)}-${suffix}`;
}

/** True when `name` is a valid SageMaker endpoint/config/model name. */
export function isResourceName(name: string): boolean {
  return name.length <= MAX_RESOURCE_NAME_LENGTH && RESOURCE_NAME_PATTERN.test(name);
}

/** Project-wide resource naming for one deployment of the app (prefix defaults to `hf-rollout`). */
export interface ProjectNames {
  readonly prefix: string;
}

/** Default prefix of every AWS resource name the project owns. */
export const DEFAULT_PREFIX = 'hf-rollout';

/** Lambda function name of a pipeline step, e.g. `hf-rollout-create-model`. */
export function stepFunctionName(prefix: string, stepId: string): string {
  return `${prefix}-${stepId}`;
}

/** Lambda function name of a service's inference proxy, e.g. `hf-rollout-sentiment-proxy`. */
export function proxyFunctionName(prefix: string, service: string): string {
  return `${prefix}-${service}-proxy`;
}

/** SSM parameter holding a service's registration (proxy function, CDN, public URL). */
export function serviceParameterName(prefix: string, service: string): string {
  return `/${prefix}/${service}/service`;
}

/** SSM parameter holding a service's live pointer (the deployment the API serves). */
export function liveParameterName(prefix: string, service: string): string {
  return `/${prefix}/${service}/live`;
}

/** SSM parameter holding a service's health state (consecutive failures, last result). */
export function healthParameterName(prefix: string, service: string): string {
  return `/${prefix}/${service}/health`;
}

/** State machine names. */
export function rolloutStateMachineName(prefix: string): string {
  return `${prefix}-rollout`;
}
/** Name of the health-check (Express) state machine. */
export function healthCheckStateMachineName(prefix: string): string {
  return `${prefix}-health-check`;
}
/** DynamoDB table holding one lock item per service. */
export function lockTableName(prefix: string): string {
  return `${prefix}-locks`;
}
/** SNS topic for rollout and health notifications. */
export function notificationTopicName(prefix: string): string {
  return `${prefix}-notifications`;
}

/**
 * Longest AWS region name (`ap-southeast-4`, `cn-northwest-1`, `us-isob-east-1`): account-global names
 * carry the region, and when the region is only known at deploy time their length is checked with this.
 */
export const MAX_REGION_NAME_LENGTH = 14;

/**
 * IAM role SageMaker assumes for a service's models, e.g. `hf-rollout-sentiment-sm-eu-central-2`. IAM
 * names are account-wide, so the region is part of it: the same app deploys to two regions of one
 * account side by side. At most 20 + 20 + 18 = 58 of IAM's 64 characters.
 */
export function sagemakerRoleName(prefix: string, service: string, region: string): string {
  return `${prefix}-${service}-sm-${region}`;
}

/**
 * Customer managed policy through which the pipeline reaches a serving stack's resources whose ids
 * only that stack knows (its CloudFront distribution, its API key secret), e.g.
 * `hf-rollout-sentiment-eu-central-2-distribution`. The serving stack keeps its statements current;
 * the pipeline attaches it by this name. Account-wide like every IAM name, so it carries the region.
 */
export function servingGrantPolicyName(
  prefix: string,
  service: string,
  kind: 'distribution' | 'api-key-secret',
  region: string,
): string {
  return `${prefix}-${service}-${region}-${kind}`;
}

/** Log group of a state machine, under `/aws/vendedlogs/states/` as Step Functions recommends. */
export function stateMachineLogGroupName(stateMachineName: string, uniqueSuffix: string): string {
  return `/aws/vendedlogs/states/${stateMachineName}-${uniqueSuffix}`;
}
