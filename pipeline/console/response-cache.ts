import type { HistoryEvent, ServiceOutputTypes, SFNClient } from '@aws-sdk/client-sfn';

/**
 * Remembers Step Functions answers that can no longer change: DescribeExecution of an execution that has
 * ended, and GetExecutionHistory pages that include its end. The console polls history every few
 * seconds; without this, each poll would describe every row again (25 calls a page), which is slow with
 * long histories and, on AWS, runs into DescribeExecution's request-rate limit. Only what AWS itself
 * answered is kept, so the console still reads through AWS APIs alone.
 */

/** Options of the cache. */
export interface ResponseCacheOptions {
  /** Answers kept (least recently used dropped first). @default 5000 */
  readonly maxEntries?: number;
  /**
   * How long an answer is trusted, in ms. Ended executions do not change, except by a redrive (which this
   * project never starts); the limit bounds how stale a redriven one can look. @default 600000
   */
  readonly ttlMs?: number;
}

/** A cache installed on a client; `uninstall()` removes it. */
export interface InstalledResponseCache {
  /** Answers served from the cache and fetched, since installed. */
  stats(): { readonly hits: number; readonly misses: number; readonly entries: number };
  uninstall(): void;
}

const MIDDLEWARE_NAME = 'rolloutConsoleResponseCache';
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
const END_EVENTS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionTimedOut',
  'ExecutionAborted',
]);

/** Installs the cache as middleware on an SFN client (the first step, before signing and sending). */
export function installResponseCache(
  sfn: SFNClient,
  options: ResponseCacheOptions = {},
): InstalledResponseCache {
  const maxEntries = options.maxEntries ?? 5000;
  const ttlMs = options.ttlMs ?? 600_000;
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least recently used.
  const entries = new Map<string, { at: number; output: ServiceOutputTypes }>();
  let hits = 0;
  let misses = 0;
  sfn.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName;
      if (command !== 'DescribeExecutionCommand' && command !== 'GetExecutionHistoryCommand')
        return next(args);
      const key = `${command} ${JSON.stringify(args.input)}`;
      const cached = entries.get(key);
      if (cached !== undefined && Date.now() - cached.at < ttlMs) {
        hits += 1;
        entries.delete(key);
        entries.set(key, cached);
        return { output: cached.output, response: undefined };
      }
      misses += 1;
      const result = await next(args);
      if (isFinal(command, result.output)) {
        entries.set(key, { at: Date.now(), output: result.output });
        if (entries.size > maxEntries) {
          const oldest = entries.keys().next().value;
          if (oldest !== undefined) entries.delete(oldest);
        }
      }
      return result;
    },
    { step: 'initialize', name: MIDDLEWARE_NAME, override: true },
  );
  return {
    stats: () => ({ hits, misses, entries: entries.size }),
    uninstall: () => {
      sfn.middlewareStack.remove(MIDDLEWARE_NAME);
      entries.clear();
    },
  };
}

/** True for an answer that cannot change: an ended execution, or a history page holding its end. */
function isFinal(command: string, output: unknown): boolean {
  if (command === 'DescribeExecutionCommand') {
    const status = (output as { status?: unknown } | undefined)?.status;
    return typeof status === 'string' && ENDED.has(status);
  }
  const events = (output as { events?: readonly HistoryEvent[] } | undefined)?.events ?? [];
  return events.some((e) => e.type !== undefined && END_EVENTS.has(e.type));
}
