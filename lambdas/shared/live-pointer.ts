import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { liveParameterName } from '../../pipeline/names';
import { parseLiveRecord, pointerOf, recordOf } from './live-pointer-format';
import type { LivePointer, LiveRecord, LiveTarget, PendingSwitch } from './types';

export {
  LivePointerCorruptError,
  parseLivePointer,
  parseLiveRecord,
  pointerOf,
  recordOf,
} from './live-pointer-format';

/**
 * Reads a service's live pointer from SSM: what the API serves now and the kept earlier deployments.
 * Returns null when nothing was ever deployed (the parameter does not exist).
 */
export async function readLivePointer(
  ssm: SSMClient,
  prefix: string,
  service: string,
): Promise<LivePointer | null> {
  return pointerOf(await readLiveRecord(ssm, prefix, service));
}

/** Reads the live pointer parameter as stored, pending switch included (all null: nothing was ever written). */
export async function readLiveRecord(ssm: SSMClient, prefix: string, service: string): Promise<LiveRecord> {
  const name = liveParameterName(prefix, service);
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    const value = out.Parameter?.Value;
    if (value === undefined) return recordOf(null);
    return parseLiveRecord(value, name);
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return recordOf(null);
    throw error;
  }
}

/**
 * Writes (or, given null or an empty record, deletes) a service's live pointer. A record with a null
 * `current` and a pending switch is a first deployment's intent.
 */
export async function writeLivePointer(
  ssm: SSMClient,
  prefix: string,
  service: string,
  given: LivePointer | LiveRecord | null,
): Promise<void> {
  const name = liveParameterName(prefix, service);
  const pointer = given === null ? null : storedForm(given);
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

/** The JSON written: no `pending` key when none (the format older readers know); null: nothing to keep. */
function storedForm(given: LivePointer | LiveRecord): Record<string, unknown> | null {
  const pending = given.pending ?? null;
  if (given.current === null && pending === null) return null;
  return {
    current: given.current,
    previous: given.previous,
    ...(pending === null ? {} : { pending }),
  };
}

/** `record` with a switch to `pending.target` declared (what the proxy serves is unchanged so far). */
export function withPending(record: LiveRecord, pending: PendingSwitch): LiveRecord {
  return { ...record, pending };
}

/**
 * The pointer once a pending switch is known to have happened (the proxy serves its target). A deploy
 * or rollback promotes the target keeping every earlier one (nothing is dropped without the spec's
 * count: the next rollout's switch trims); a restore returns to the target and forgets the failed
 * rollout's own endpoint.
 */
export function commitPending(record: LiveRecord, pending: PendingSwitch): LivePointer {
  const target = pending.target;
  const earlier = [...(record.current === null ? [] : [record.current]), ...record.previous];
  const kept = earlier.filter(
    (t) =>
      t.endpointName !== target.endpointName &&
      !(pending.kind === 'restore' && t.rolloutId === pending.rolloutId),
  );
  return { current: target, previous: dedupe(kept) };
}

function dedupe(targets: readonly LiveTarget[]): LiveTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    if (seen.has(t.endpointName)) return false;
    seen.add(t.endpointName);
    return true;
  });
}

/** The pointer after `target` goes live: the old current joins the kept list, newest first, capped at `keep`. */
export function promote(before: LivePointer | null, target: LiveTarget, keep: number): LivePointer {
  const previous = before === null ? [] : [before.current, ...before.previous];
  const kept = previous.filter((t) => t.endpointName !== target.endpointName).slice(0, keep);
  return { current: target, previous: kept };
}
