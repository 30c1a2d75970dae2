import type { Node } from 'constructs';
import { DEFAULT_PREFIX } from '../pipeline/names';
import { DEFAULT_HEALTH_CHECK_SCHEDULE, scheduleRateMinutes } from '../pipeline/health-schedule';
import { rolloutSpecSchema } from '../pipeline/spec/schema';

/**
 * Schedule of the health check when context `healthCheckSchedule` is unset, and its parser: written once
 * in pipeline/health-schedule.ts, which the local cloud reads too.
 */
export { DEFAULT_HEALTH_CHECK_SCHEDULE, scheduleRateMinutes };

/**
 * The app's settings, read from CDK context (`cdk.json` or `-c key=value`). Every default lives here
 * once; README "Default settings" repeats them.
 */

/** How viewers authenticate to a service's inference API. */
export type ApiAuth = 'api-key' | 'none';

/** Services deployed when context `services` is unset. */
export const DEFAULT_SERVICES: readonly string[] = ['sentiment'];
/** API authentication when context `auth` is unset. */
export const DEFAULT_AUTH: ApiAuth = 'api-key';
/**
 * Whether CloudFront also answers plain HTTP when context `allowHttp` is unset: no. With HTTP, the API
 * key and the payloads cross the internet in cleartext; turn it on only for clients that cannot do TLS.
 */
export const DEFAULT_ALLOW_HTTP = false;

/** Settings of one deployment of the app. */
export interface AppConfig {
  /** Prefix of every physical name (`hf-rollout`). */
  readonly prefix: string;
  /** Services, one serving stack each. */
  readonly services: readonly string[];
  /** EventBridge Scheduler `rate(...)` expression of the health check. */
  readonly healthCheckSchedule: string;
  readonly auth: ApiAuth;
  /** Context `allowHttp`: CloudFront also serves plain HTTP viewers (cleartext; see README). */
  readonly allowHttp: boolean;
  /** Context `prebuiltBundlesDir`: deploy `<dir>/<function id>/index.js` (e.g. the local cloud's build) instead of bundling. */
  readonly prebuiltBundlesDir?: string;
}

/** Reads and validates the app's context; throws naming the key, the value and the fix. */
export function readAppConfig(node: Node): AppConfig {
  const prefix = stringContext(node, 'prefix') ?? DEFAULT_PREFIX;
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(prefix) || prefix.length > 20) {
    throw new Error(
      `Context "prefix" is "${prefix}"; use at most 20 lowercase letters, digits and single hyphens (e.g. -c prefix=hf-rollout).`,
    );
  }
  const servicesValue: unknown = node.tryGetContext('services');
  const services = servicesValue === undefined ? [...DEFAULT_SERVICES] : parseServices(servicesValue);
  const healthCheckSchedule = stringContext(node, 'healthCheckSchedule') ?? DEFAULT_HEALTH_CHECK_SCHEDULE;
  scheduleRateMinutes(healthCheckSchedule);
  const auth = stringContext(node, 'auth') ?? DEFAULT_AUTH;
  if (auth !== 'api-key' && auth !== 'none') {
    throw new Error(`Context "auth" is "${auth}"; use "api-key" (default) or "none".`);
  }
  const allowHttp = booleanContext(node, 'allowHttp') ?? DEFAULT_ALLOW_HTTP;
  const prebuiltBundlesDir = stringContext(node, 'prebuiltBundlesDir');
  return {
    prefix,
    services,
    healthCheckSchedule,
    auth,
    allowHttp,
    ...(prebuiltBundlesDir === undefined ? {} : { prebuiltBundlesDir }),
  };
}

/**
 * Parses context `services`: a JSON array (`["sentiment","ner"]`), a comma list (`sentiment,ner`), or an
 * array from cdk.json. Names follow the rollout spec's rule for `service`.
 */
export function parseServices(value: unknown): string[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        list = JSON.parse(text) as unknown;
      } catch {
        throw new Error(`Context "services" is not a valid JSON array: ${text}; use ["a","b"] or a,b.`);
      }
    } else {
      list = text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    }
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((s): s is string => typeof s === 'string')) {
    throw new Error(
      `Context "services" is ${JSON.stringify(value)}; give at least one service name, e.g. -c services=sentiment,ner.`,
    );
  }
  for (const service of list) {
    if (!rolloutSpecSchema.shape.service.safeParse(service).success) {
      throw new Error(
        `Service name "${service}" in context "services" is invalid; use at most 20 lowercase letters, digits and single hyphens (as in the rollout spec's "service").`,
      );
    }
  }
  const duplicate = list.find((s, i) => list.indexOf(s) !== i);
  if (duplicate !== undefined) {
    throw new Error(`Context "services" lists "${duplicate}" twice; list each service once.`);
  }
  return list;
}

function stringContext(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`Context "${key}" is ${JSON.stringify(value)}; give a non-empty string.`);
  }
  return value.trim();
}

/** A boolean context value: `true`/`false` from cdk.json, or the strings `true`/`false` from `-c`. */
function booleanContext(node: Node, key: string): boolean | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`Context "${key}" is ${JSON.stringify(value)}; use true or false (e.g. -c ${key}=true).`);
}
