import { RolloutError } from './errors';
import type { LivePointer, LiveTarget } from './types';

/**
 * The live pointer's JSON format, apart from the SSM calls: the inference proxy parses the pointer
 * without loading the SSM SDK client.
 */

/** The live pointer parameter holds something that is not a live pointer (edited by hand?). */
export class LivePointerCorruptError extends RolloutError {
  override readonly name = 'LivePointerCorruptError';
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
