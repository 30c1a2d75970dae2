import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import type { FunctionLogs } from './function-logs';
import {
  endLine,
  endLineRequestId,
  type FunctionErrorPayload,
  type InvokeMessage,
  type WorkerInit,
  type WorkerReply,
} from './runtime-protocol';

/** What a new execution environment of a function is made from: the configuration at its start. */
export interface EnvironmentConfig {
  readonly functionName: string;
  /** Environments are reused only by invocations with the same key (configuration revision + code). */
  readonly key: string;
  readonly bundleFile: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** The worker's whole process.env. */
  readonly env: Readonly<Record<string, string>>;
  readonly enableSourceMaps: boolean;
  readonly logGroupName: string;
}

/** One invocation to run. */
export interface InvocationRequest {
  readonly requestId: string;
  readonly payload: string;
  readonly invokedFunctionArn: string;
  readonly clientContext?: string;
}

/** How an invocation ended, with the log lines it wrote (START … REPORT). */
export type InvocationOutcome = {
  readonly requestId: string;
  readonly durationMs: number;
  readonly logLines: readonly string[];
} & (
  | { readonly kind: 'result'; readonly payload: string }
  | { readonly kind: 'error'; readonly error: FunctionErrorPayload }
);

/** Options of the environment pool. */
export interface ExecutionEnvironmentsOptions {
  /** The bundled runtime-bootstrap.ts. */
  readonly bootstrapFile: string;
  readonly logs: FunctionLogs;
  /** Real ms an idle environment is kept warm before it is shut down. @default 300000 */
  readonly idleMs?: number;
}

/** How long to wait for a worker's END line after its reply (stdout travels on another channel). */
const END_LINE_GRACE_MS = 1000;

/**
 * Lambda execution environments as worker threads. Each worker is started with its own `process.env`
 * (the function's configuration at that moment) and its own heap limit (the memory size), runs one
 * invocation at a time and is reused while warm. When a function's configuration changes, new
 * invocations get new workers while in-flight ones finish on the old ones, which are then retired:
 * the behaviour a configuration update has on Lambda.
 */
export class ExecutionEnvironments {
  private readonly pools = new Map<string, Environment[]>();
  private readonly currentKey = new Map<string, string>();
  private readonly idleMs: number;

  constructor(private readonly options: ExecutionEnvironmentsOptions) {
    this.idleMs = options.idleMs ?? 300_000;
  }

  /** Runs one invocation in a warm environment of this configuration, or a new one. */
  async invoke(config: EnvironmentConfig, request: InvocationRequest): Promise<InvocationOutcome> {
    this.currentKey.set(config.functionName, config.key);
    this.retireStale(config.functionName);
    const environment = this.acquire(config);
    try {
      return await environment.run(request, config.timeoutSeconds, config.memoryMb);
    } finally {
      this.release(environment);
    }
  }

  /** Environments of a function: how many exist and how many run an invocation now. */
  stats(functionName: string): { readonly environments: number; readonly busy: number } {
    const pool = this.pools.get(functionName) ?? [];
    return { environments: pool.length, busy: pool.filter((e) => e.busy).length };
  }

  /** Shuts down every environment of a function (or all of them). */
  async shutdown(functionName?: string): Promise<void> {
    const names = functionName === undefined ? [...this.pools.keys()] : [functionName];
    const stopping: Promise<void>[] = [];
    for (const name of names) {
      for (const environment of this.pools.get(name) ?? []) stopping.push(environment.stop());
      this.pools.delete(name);
      this.currentKey.delete(name);
    }
    await Promise.all(stopping);
  }

  private acquire(config: EnvironmentConfig): Environment {
    const pool = this.pools.get(config.functionName) ?? [];
    this.pools.set(config.functionName, pool);
    // Most recently used first: the warmest environment, as Lambda tends to pick.
    const warm = pool
      .filter((e) => e.key === config.key && e.alive && !e.busy)
      .sort((a, b) => b.lastUsed - a.lastUsed)[0];
    const environment = warm ?? new Environment(config, this.options);
    if (warm === undefined) pool.push(environment);
    environment.take();
    return environment;
  }

  private release(environment: Environment): void {
    const name = environment.functionName;
    const stale = environment.key !== this.currentKey.get(name);
    if (!environment.alive || stale) {
      this.remove(environment);
      void environment.stop();
      return;
    }
    environment.park(this.idleMs, () => this.remove(environment));
  }

  private retireStale(functionName: string): void {
    const key = this.currentKey.get(functionName);
    for (const environment of [...(this.pools.get(functionName) ?? [])]) {
      if (!environment.busy && (environment.key !== key || !environment.alive)) {
        this.remove(environment);
        void environment.stop();
      }
    }
  }

  private remove(environment: Environment): void {
    const pool = this.pools.get(environment.functionName);
    if (pool === undefined) return;
    const index = pool.indexOf(environment);
    if (index >= 0) pool.splice(index, 1);
  }
}

interface PendingInvocation {
  readonly requestId: string;
  readonly onReply: (reply: Exclude<WorkerReply, { type: 'init' }>) => void;
  readonly onExit: (code: number) => void;
}

/** One worker thread: an execution environment. */
class Environment {
  readonly functionName: string;
  readonly key: string;
  busy = false;
  alive = true;
  lastUsed = 0;
  private readonly worker: Worker;
  private pending: PendingInvocation | undefined;
  private capture: string[] | undefined;
  private readonly endWaiters = new Map<string, () => void>();
  private lastEnded: string | undefined;
  private exited = false;
  private initDurationMs: number | undefined;
  private invocations = 0;
  private lastError: Error | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    config: EnvironmentConfig,
    private readonly options: ExecutionEnvironmentsOptions,
  ) {
    this.functionName = config.functionName;
    this.key = config.key;
    const init: WorkerInit = {
      bundleFile: config.bundleFile,
      handlerName: 'handler',
      functionName: config.functionName,
      functionVersion: '$LATEST',
      memoryMb: config.memoryMb,
      logGroupName: config.logGroupName,
      logStreamName: logStreamName(),
      enableSourceMaps: config.enableSourceMaps,
    };
    this.worker = new Worker(options.bootstrapFile, {
      env: { ...config.env },
      workerData: init,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: config.memoryMb },
    });
    this.readLines(this.worker.stdout, 'stdout');
    this.readLines(this.worker.stderr, 'stderr');
    this.worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'init') this.initDurationMs = reply.initDurationMs;
      else if (this.pending?.requestId === reply.requestId) this.pending.onReply(reply);
    });
    this.worker.on('error', (error) => {
      this.lastError = error;
    });
    this.worker.on('exit', (code) => {
      this.alive = false;
      this.exited = true;
      this.clearIdle();
      for (const resolve of this.endWaiters.values()) resolve();
      this.pending?.onExit(code);
    });
  }

  /** Marks the environment busy (and keeps the process alive while it works). */
  take(): void {
    this.clearIdle();
    this.busy = true;
    this.worker.ref();
  }

  /** Back to idle: unreferenced (an idle environment must not keep a CLI alive) and shut down after idleMs. */
  park(idleMs: number, onRetire: () => void): void {
    this.busy = false;
    this.lastUsed = Date.now();
    this.worker.unref();
    this.idleTimer = setTimeout(() => {
      onRetire();
      void this.stop();
    }, idleMs);
    this.idleTimer.unref();
  }

  /** Runs one invocation; resolves with its outcome (never rejects). */
  run(request: InvocationRequest, timeoutSeconds: number, memoryMb: number): Promise<InvocationOutcome> {
    const started = Date.now();
    const lines: string[] = [];
    this.capture = lines;
    const cold = this.invocations === 0;
    this.invocations++;
    return new Promise<InvocationOutcome>((resolve) => {
      let settled = false;
      let maxMemoryUsedMb = 0;
      const finish = (
        result: { kind: 'result'; payload: string } | { kind: 'error'; error: FunctionErrorPayload },
        platformLines: readonly string[],
      ): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending = undefined;
        this.capture = undefined;
        const durationMs = Date.now() - started;
        const report = reportLine(
          request.requestId,
          durationMs,
          memoryMb,
          maxMemoryUsedMb,
          cold ? this.initDurationMs : undefined,
        );
        for (const line of [...platformLines, report]) {
          this.options.logs.write(this.functionName, line, 'stdout');
          lines.push(line);
        }
        resolve({ ...result, requestId: request.requestId, durationMs, logLines: lines });
      };
      const timer = setTimeout(() => {
        // Lambda stops the environment at the timeout; so do we.
        this.alive = false;
        void this.stop();
        finish(
          {
            kind: 'error',
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `RequestId: ${request.requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
            },
          },
          [
            `${new Date().toISOString()} ${request.requestId} Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
            endLine(request.requestId),
          ],
        );
      }, timeoutSeconds * 1000);
      this.pending = {
        requestId: request.requestId,
        onReply: (reply) => {
          // Answered: a later exit (background code calling process.exit) must not replace the answer.
          this.pending = undefined;
          maxMemoryUsedMb = reply.maxMemoryUsedMb;
          if (reply.type === 'error' && reply.fatal) this.alive = false;
          void this.endLineSeen(request.requestId).then(() => {
            if (reply.type === 'result') finish({ kind: 'result', payload: reply.payload }, []);
            else finish({ kind: 'error', error: reply.error }, []);
            if (!this.alive) void this.stop();
          });
        },
        onExit: (code) =>
          finish({ kind: 'error', error: this.exitError(request.requestId, code) }, [
            endLine(request.requestId),
          ]),
      };
      const message: InvokeMessage = {
        type: 'invoke',
        requestId: request.requestId,
        payload: request.payload,
        deadlineMs: started + timeoutSeconds * 1000,
        invokedFunctionArn: request.invokedFunctionArn,
        ...(request.clientContext === undefined ? {} : { clientContext: request.clientContext }),
      };
      this.worker.postMessage(message);
    });
  }

  /** Terminates the worker; resolves when it is gone. */
  async stop(): Promise<void> {
    this.alive = false;
    this.clearIdle();
    await this.worker.terminate();
  }

  private exitError(requestId: string, code: number): FunctionErrorPayload {
    if ((this.lastError as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return {
        errorType: 'Runtime.OutOfMemory',
        errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
      };
    }
    return {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: exit status ${code}`,
    };
  }

  private endLineSeen(requestId: string): Promise<void> {
    return new Promise((resolve) => {
      if (this.exited || this.lastEnded === requestId) {
        resolve();
        return;
      }
      const timer = setTimeout(done, END_LINE_GRACE_MS);
      timer.unref();
      this.endWaiters.set(requestId, done);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private readLines(stream: Readable, name: 'stdout' | 'stderr'): void {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        this.onLine(buffered.slice(0, newline), name);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    stream.on('end', () => {
      if (buffered !== '') this.onLine(buffered, name);
      buffered = '';
    });
  }

  private onLine(line: string, stream: 'stdout' | 'stderr'): void {
    this.options.logs.write(this.functionName, line, stream);
    this.capture?.push(line);
    const ended = endLineRequestId(line);
    if (ended !== undefined) {
      this.lastEnded = ended;
      this.endWaiters.get(ended)?.();
      this.endWaiters.delete(ended);
    }
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

function reportLine(
  requestId: string,
  durationMs: number,
  memoryMb: number,
  maxMemoryUsedMb: number,
  initDurationMs: number | undefined,
): string {
  const init = initDurationMs === undefined ? '' : `\tInit Duration: ${initDurationMs.toFixed(2)} ms`;
  return (
    `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(durationMs))} ms` +
    `\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${maxMemoryUsedMb} MB${init}`
  );
}

/** Lambda's log stream name shape: `YYYY/MM/DD/[$LATEST]<32 hex>`. */
function logStreamName(): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  const hex = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `${day}/[$LATEST]${hex}`;
}
