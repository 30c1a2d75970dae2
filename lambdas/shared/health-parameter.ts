import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { healthParameterName } from '../../pipeline/names';
import { INITIAL_HEALTH, type AutoRollback, type HealthRecord } from './health-types';
import { logger } from './logger';

/** Reads a service's health record; a missing or unreadable parameter counts as never checked. */
export async function readHealth(ssm: SSMClient, prefix: string, service: string): Promise<HealthRecord> {
  const name = healthParameterName(prefix, service);
  let value: string | undefined;
  try {
    value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return INITIAL_HEALTH;
    throw error;
  }
  return value === undefined ? INITIAL_HEALTH : parseHealth(value, name);
}

/** Writes a service's health record. */
export async function writeHealth(
  ssm: SSMClient,
  prefix: string,
  service: string,
  health: HealthRecord,
): Promise<void> {
  await ssm.send(
    new PutParameterCommand({
      Name: healthParameterName(prefix, service),
      Value: JSON.stringify(health),
      Type: 'String',
      Overwrite: true,
      Description: `Health checks of service ${service} (written by the health-check state machine)`,
    }),
  );
}

/**
 * Parses the parameter. A hand-edited or truncated value must not stop health checks, so anything
 * unreadable restarts from "never checked" (logged), which at worst delays an automatic rollback.
 */
export function parseHealth(value: string, source = 'health parameter'): HealthRecord {
  let parsed: Partial<HealthRecord>;
  try {
    parsed = JSON.parse(value) as Partial<HealthRecord>;
  } catch {
    logger.warn(`${source} is not JSON; starting a new health record`, { value: value.slice(0, 200) });
    return INITIAL_HEALTH;
  }
  if (typeof parsed !== 'object' || parsed === null) return INITIAL_HEALTH;
  const failures = parsed.consecutiveFailures;
  return {
    consecutiveFailures:
      typeof failures === 'number' && Number.isInteger(failures) && failures >= 0 ? failures : 0,
    lastCheckAt: typeof parsed.lastCheckAt === 'string' ? parsed.lastCheckAt : null,
    lastResult:
      parsed.lastResult === 'healthy' || parsed.lastResult === 'unhealthy' ? parsed.lastResult : null,
    lastLatencyMs: typeof parsed.lastLatencyMs === 'number' ? parsed.lastLatencyMs : null,
    lastEndpoint: typeof parsed.lastEndpoint === 'string' ? parsed.lastEndpoint : null,
    ...(typeof parsed.lastServedBy === 'string' || parsed.lastServedBy === null
      ? { lastServedBy: parsed.lastServedBy }
      : {}),
    ...(typeof parsed.rolledBackAt === 'string' ? { rolledBackAt: parsed.rolledBackAt } : {}),
    ...(isAutoRollback(parsed.lastAutoRollback) ? { lastAutoRollback: parsed.lastAutoRollback } : {}),
  };
}

function isAutoRollback(value: unknown): value is AutoRollback {
  const v = value as AutoRollback | null | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.executionName === 'string' &&
    typeof v.input === 'string' &&
    typeof v.fromEndpoint === 'string' &&
    typeof v.toEndpoint === 'string' &&
    typeof v.startedAt === 'string' &&
    (v.executionArn === null || typeof v.executionArn === 'string')
  );
}
