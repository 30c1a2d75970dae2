import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { liveParameterName } from '../../pipeline/names';
import { RolloutError } from './errors';
import type { LivePointer, LiveTarget } from './types';

/** The live pointer parameter holds something that is not a live pointer (edited by hand?). */
export class LivePointerCorruptError extends RolloutError {
  override readonly name = 'LivePointerCorruptError';
}

/**
 * Reads a service's live pointer from SSM: what the API serves now and the kept earlier deployments.
 * Returns null when nothing was ever deployed (the parameter does not exist).
 */
export async function readLivePointer(
  ssm: SSMClient,
  prefix: string,
  service: string,
): Promise<LivePointer | null> {
  const name = liveParameterName(prefix, service);
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    const value = out.Parameter?.Value;
    if (value === undefined) return null;
    return parseLivePointer(value, name);
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return null;
    throw error;
  }
}

/** Writes (or, given null, deletes) a service's live pointer. */
export async function writeLivePointer(
  ssm: SSMClient,
  prefix: string,
  service: string,
  pointer: LivePointer | null,
): Promise<void> {
  const name = liveParameterName(prefix, service);
  if (pointer === null) {
    try {
      await ssm.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ParameterNotFound')) throw error;
    }
    return;
  }
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: JSON.stringify(pointer),
      Type: 'String',
      Overwrite: true,
      Description: `Live deployment of service ${service} (written by the rollout state machine; do not edit)`,
    }),
  );
}

/** The pointer after `target` goes live: the old current joins the kept list, newest first, capped at `keep`. */
export function promote(before: LivePointer | null, target: LiveTarget, keep: number): LivePointer {
  const previous = before === null ? [] : [before.current, ...before.previous];
  const kept = previous.filter((t) => t.endpointName !== target.endpointName).slice(0, keep);
  return { current: target, previous: kept };
}

/** Parses the parameter's JSON, checking the fields every reader relies on. */
export function parseLivePointer(value: string, source = 'live pointer'): LivePointer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new LivePointerCorruptError(
      `${source} is not JSON; restore it with \`rollout rollback\` or delete it.`,
    );
  }
  const p = parsed as Partial<LivePointer>;
  if (!isTarget(p.current) || !Array.isArray(p.previous) || !p.previous.every(isTarget)) {
    throw new LivePointerCorruptError(
      `${source} lacks current/previous deployments (endpointName, rolloutId); got ${value.slice(0, 200)}`,
    );
  }
  return p as LivePointer;
}

function isTarget(t: unknown): t is LiveTarget {
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof (t as LiveTarget).endpointName === 'string' &&
    typeof (t as LiveTarget).rolloutId === 'string'
  );
}
