import { RolloutError } from './errors';
import type { LivePointer, LiveRecord, LiveTarget, PendingSwitch } from './types';

/**
 * The live pointer's JSON format, apart from the SSM calls: the inference proxy parses the pointer
 * without loading the SSM SDK client.
 */

/** The live pointer parameter holds something that is not a live pointer (edited by hand?). */
export class LivePointerCorruptError extends RolloutError {
  override readonly name = 'LivePointerCorruptError';
}

const PENDING_KINDS: ReadonlySet<string> = new Set(['deploy', 'rollback', 'restore']);

/**
 * Parses the parameter as stored, pending switch included. `current` may be null only while a
 * service's first switch is pending (nothing served before it).
 */
export function parseLiveRecord(value: string, source = 'live pointer'): LiveRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new LivePointerCorruptError(
      `${source} is not JSON; restore it with \`rollout rollback\` or delete it.`,
    );
  }
  const p = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    current?: unknown;
    previous?: unknown;
    pending?: unknown;
  };
  const pending = p.pending === undefined || p.pending === null ? null : p.pending;
  const pendingOk = pending === null || isPending(pending);
  const currentOk =
    isTarget(p.current) || ((p.current === null || p.current === undefined) && pending !== null);
  if (!currentOk || !pendingOk || !Array.isArray(p.previous) || !p.previous.every(isTarget)) {
    throw new LivePointerCorruptError(
      `${source} lacks current/previous deployments (endpointName, rolloutId); got ${value.slice(0, 200)}`,
    );
  }
  return {
    current: isTarget(p.current) ? p.current : null,
    previous: p.previous,
    pending: pending,
  };
}

/**
 * Parses the parameter's JSON, checking the fields every reader relies on. Returns null while only a
 * first switch is pending: nothing is recorded as serving yet. The proxy reads only `current`.
 */
export function parseLivePointer(value: string, source = 'live pointer'): LivePointer | null {
  return pointerOf(parseLiveRecord(value, source));
}

/** The pointer view of a stored record (null: nothing recorded as serving). */
export function pointerOf(record: LiveRecord): LivePointer | null {
  if (record.current === null) return null;
  return {
    current: record.current,
    previous: record.previous,
    ...(record.pending === null ? {} : { pending: record.pending }),
  };
}

/** The stored record of a pointer (null pointer: nothing recorded, nothing pending). */
export function recordOf(pointer: LivePointer | null): LiveRecord {
  if (pointer === null) return { current: null, previous: [], pending: null };
  return { current: pointer.current, previous: pointer.previous, pending: pointer.pending ?? null };
}

function isTarget(t: unknown): t is LiveTarget {
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof (t as LiveTarget).endpointName === 'string' &&
    typeof (t as LiveTarget).rolloutId === 'string'
  );
}

function isPending(p: unknown): p is PendingSwitch {
  return (
    typeof p === 'object' &&
    p !== null &&
    isTarget((p as PendingSwitch).target) &&
    typeof (p as PendingSwitch).rolloutId === 'string' &&
    typeof (p as PendingSwitch).executionArn === 'string' &&
    PENDING_KINDS.has((p as PendingSwitch).kind)
  );
}
