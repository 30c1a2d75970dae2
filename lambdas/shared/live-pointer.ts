import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { liveParameterName } from '../../pipeline/names';
import { parseLivePointer } from './live-pointer-format';
import type { LivePointer, LiveTarget } from './types';

export { LivePointerCorruptError, parseLivePointer } from './live-pointer-format';

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
      Tier: 'Intelligent-Tiering', // Standard holds 4 KB; current + 5 kept + pending can need Advanced's 8 KB
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
