import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** The line prefix every driver prints its result after. */
export const RESULT_MARKER = 'BENCH_RESULT ';

/** What a driver run gave. */
export interface ChildRun<T> {
  /** The driver's `BENCH_RESULT` JSON. */
  readonly result: T;
  /** Milliseconds from the spawn call to the moment the result line arrived. */
  readonly elapsedMs: number;
}

/** Options of one driver run. */
export interface ChildOptions {
  /** The child's whole environment (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** @default 120000 */
  readonly timeoutMs?: number;
  /**
   * Where the child's stdout goes. `ignore` (/dev/null) for drivers whose handler logs a line per
   * request: a sink that keeps up, as Lambda's log agent does, where a pipe to this busy process
   * would slow the handler's writes down. @default 'pipe'
   */
  readonly stdout?: 'pipe' | 'ignore';
  /** The stream the driver prints its result line on. @default 'stdout' */
  readonly resultOn?: 'stdout' | 'stderr';
}

/**
 * A clean environment for a child: PATH and HOME from this process, nothing else inherited (not the
 * NODE_OPTIONS of tsx, not NODE_EXTRA_CA_CERTS or AWS_CA_BUNDLE, which add work at start-up that a
 * Lambda does not do), plus `extra`.
 */
export function cleanEnv(extra: Readonly<Record<string, string>>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, ...extra };
}

/**
 * Runs a driver and resolves with its `BENCH_RESULT` line as soon as it arrives (the child is then
 * killed if still running). Fails with the child's stderr when it ends without a result.
 */
export function runDriver<T>(
  command: string,
  args: readonly string[],
  options: ChildOptions,
): Promise<ChildRun<T>> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const resultOn = options.resultOn ?? 'stdout';
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
    });
    let pending = '';
    let stderrTail = '';
    let settled = false;
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      finish(new Error(`${command} ${args.join(' ')} gave no result in ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (error: Error | null, value?: ChildRun<T>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      if (error !== null) reject(error);
      else if (value !== undefined) resolvePromise(value);
    };
    const scan = (chunk: string): void => {
      if (settled) return;
      pending += chunk;
      const at = pending.indexOf(RESULT_MARKER);
      if (at < 0) {
        // Handlers log on the same stream; keep only what could still hold the start of the marker.
        pending = pending.slice(-RESULT_MARKER.length);
        return;
      }
      const end = pending.indexOf('\n', at);
      if (end < 0) return;
      const elapsedMs = performance.now() - started;
      try {
        finish(null, { result: JSON.parse(pending.slice(at + RESULT_MARKER.length, end)) as T, elapsedMs });
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (resultOn === 'stdout') scan(chunk);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
      if (resultOn === 'stderr') scan(chunk);
    });
    child.on('error', (error) => finish(error));
    child.on('close', (code) => {
      finish(
        new Error(
          `${command} ${args.join(' ')} exited ${code ?? 'by signal'} without a result: ${stderrTail.trim()}`,
        ),
      );
    });
  });
}
