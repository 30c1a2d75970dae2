import type { Node } from 'constructs';
import { DEFAULT_PREFIX } from '../pipeline/names';
import { rolloutSpecSchema } from '../pipeline/spec/schema';

/**
 * The app's settings, read from CDK context (`cdk.json` or `-c key=value`). Every default lives here
 * once; README "Default settings" repeats them.
 */

/** How viewers authenticate to a service's inference API. */
export type ApiAuth = 'api-key' | 'none';

/** Services deployed when context `services` is unset. */
export const DEFAULT_SERVICES: readonly string[] = ['sentiment'];
/** Schedule of the health check when context `healthCheckSchedule` is unset. */
export const DEFAULT_HEALTH_CHECK_SCHEDULE = 'rate(5 minutes)';
/** API authentication when context `auth` is unset. */
export const DEFAULT_AUTH: ApiAuth = 'api-key';

/** Settings of one deployment of the app. */
export interface AppConfig {
  /** Prefix of every physical name (`hf-rollout`). */
  readonly prefix: string;
  /** Services, one serving stack each. */
  readonly services: readonly string[];
  /** EventBridge Scheduler `rate(...)` expression of the health check. */
  readonly healthCheckSchedule: string;
  readonly auth: ApiAuth;
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
  const prebuiltBundlesDir = stringContext(node, 'prebuiltBundlesDir');
  return {
    prefix,
    services,
    healthCheckSchedule,
    auth,
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

/** Minutes between runs of a `rate(N minute|minutes|hour|hours|day|days)` expression. */
export function scheduleRateMinutes(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  const count = m?.[1] === undefined ? NaN : Number(m[1]);
  if (m === null || !Number.isInteger(count) || count < 1) {
    throw new Error(
      `Health check schedule "${expression}" is not a rate expression; use e.g. rate(5 minutes) (the alarm period follows it).`,
    );
  }
  const unit = m[2] ?? 'minutes';
  const minutes = unit.startsWith('minute') ? count : unit.startsWith('hour') ? count * 60 : count * 1440;
  if ((unit === 'minute' || unit === 'hour' || unit === 'day') !== (count === 1)) {
    throw new Error(
      `Health check schedule "${expression}": use the singular unit only with 1, e.g. rate(1 minute).`,
    );
  }
  return minutes;
}

function stringContext(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`Context "${key}" is ${JSON.stringify(value)}; give a non-empty string.`);
  }
  return value.trim();
}
