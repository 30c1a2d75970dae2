import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { format } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import {
  endLine,
  type FunctionErrorPayload,
  type InvokeMessage,
  type WorkerInit,
  type WorkerReply,
} from './runtime-protocol';

/**
 * The Node.js runtime of one execution environment, run in a worker thread (bundled by esbuild into
 * `bundles/_runtime/index.js`). It does what Lambda's runtime does around a handler: patches `console`
 * to Lambda's text log format, loads the function's bundle once (init), then runs one invocation at a
 * time with a Lambda context, writing START/END lines and answering a result or an error payload.
 */

type Handler = (
  event: unknown,
  context: unknown,
  callback: (error: unknown, result?: unknown) => void,
) => unknown;

const initStarted = performance.now();
const init = workerData as WorkerInit;
const port = parentPort;
let currentRequestId: string | undefined;
let peakHeapBytes = 0;

if (init.enableSourceMaps) process.setSourceMapsEnabled(true);
patchConsole();
const loaded = loadHandler();
port?.postMessage({ type: 'init', initDurationMs: performance.now() - initStarted } satisfies WorkerReply);

port?.on('message', (message: InvokeMessage) => {
  void invoke(message);
});

process.on('uncaughtException', (error) => crash('Uncaught Exception', toErrorPayload(error)));
process.on('unhandledRejection', (reason) =>
  crash('Unhandled Promise Rejection', {
    errorType: 'Runtime.UnhandledPromiseRejection',
    errorMessage: reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason),
    trace: reason instanceof Error ? (reason.stack ?? '').split('\n') : [],
  }),
);

async function invoke(message: InvokeMessage): Promise<void> {
  currentRequestId = message.requestId;
  process.stdout.write(`START RequestId: ${message.requestId} Version: ${init.functionVersion}\n`);
  let reply: Exclude<WorkerReply, { type: 'init' }>;
  if ('error' in loaded) {
    reply = {
      type: 'error',
      requestId: message.requestId,
      error: loaded.error,
      fatal: true,
      maxMemoryUsedMb: 0,
    };
  } else {
    const outcome = await callHandler(loaded.handler, JSON.parse(message.payload), lambdaContext(message));
    let payload: string | undefined;
    let error: unknown = outcome.ok ? undefined : outcome.error;
    if (outcome.ok) {
      try {
        payload = JSON.stringify(outcome.value) ?? 'null';
      } catch (serializeError) {
        error = serializeError;
      }
    }
    reply =
      payload === undefined
        ? {
            type: 'error',
            requestId: message.requestId,
            error: toErrorPayload(error),
            fatal: false,
            maxMemoryUsedMb: memoryUsedMb(),
          }
        : { type: 'result', requestId: message.requestId, payload, maxMemoryUsedMb: memoryUsedMb() };
  }
  finish(reply);
}

function finish(reply: Exclude<WorkerReply, { type: 'init' }>): void {
  process.stdout.write(`${endLine(reply.requestId)}\n`);
  currentRequestId = undefined;
  port?.postMessage(reply);
}

/** An error no handler caught: Lambda logs it, fails the invocation and replaces the environment. */
function crash(label: string, payload: FunctionErrorPayload): void {
  const requestId = currentRequestId;
  log('ERROR', [`${label} \t${JSON.stringify(payload)}`]);
  if (requestId === undefined) {
    // Nothing to answer: end the environment, as Lambda's runtime exits on an uncaught error.
    process.exit(1);
  }
  finish({ type: 'error', requestId, error: payload, fatal: true, maxMemoryUsedMb: memoryUsedMb() });
}

function loadHandler(): { handler: Handler } | { error: FunctionErrorPayload } {
  try {
    // The bundle path is only known at run time, so it is loaded with a require made for it.
    const mod = createRequire(init.bundleFile)(init.bundleFile) as Record<string, unknown>;
    const handler = mod[init.handlerName];
    if (typeof handler !== 'function') {
      return {
        error: {
          errorType: 'Runtime.HandlerNotFound',
          errorMessage: `index.${init.handlerName} is undefined or not exported`,
        },
      };
    }
    return { handler: handler as Handler };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND') {
      return {
        error: {
          errorType: 'Runtime.ImportModuleError',
          errorMessage: `Error: Cannot find module 'index'\n${error instanceof Error ? error.message : String(error)}`,
        },
      };
    }
    if (error instanceof SyntaxError) {
      return {
        error: { errorType: 'Runtime.UserCodeSyntaxError', errorMessage: `SyntaxError: ${error.message}` },
      };
    }
    return { error: toErrorPayload(error) };
  }
}

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Calls an async (promise) or callback-style handler. Outcomes are resolved, never rejected: a handler
 * may fail with any value (`callback('text')`), which Lambda reports as it is.
 */
function callHandler(handler: Handler, event: unknown, context: unknown): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const callback = (error: unknown, result?: unknown): void =>
      settle(error !== null && error !== undefined ? { ok: false, error } : { ok: true, value: result });
    try {
      const out = handler(event, context, callback);
      if (out !== null && typeof out === 'object' && typeof (out as { then?: unknown }).then === 'function') {
        (out as Promise<unknown>).then(
          (value) => settle({ ok: true, value }),
          (error: unknown) =>
            settle({ ok: false, error: error ?? new Error('Handler rejected with no reason') }),
        );
      } else if (handler.length < 3) {
        // A synchronous handler without a callback: its return value is the result.
        settle({ ok: true, value: out });
      }
    } catch (error) {
      settle({ ok: false, error: error ?? new Error('Handler threw no value') });
    }
  });
}

function lambdaContext(message: InvokeMessage): Record<string, unknown> {
  let clientContext: unknown;
  if (message.clientContext !== undefined) {
    try {
      clientContext = JSON.parse(Buffer.from(message.clientContext, 'base64').toString('utf8'));
    } catch {
      clientContext = undefined;
    }
  }
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: init.functionName,
    functionVersion: init.functionVersion,
    invokedFunctionArn: message.invokedFunctionArn,
    // The Node.js runtime gives it as a string.
    memoryLimitInMB: String(init.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: init.logGroupName,
    logStreamName: init.logStreamName,
    identity: undefined,
    clientContext,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
  };
}

function toErrorPayload(error: unknown): FunctionErrorPayload {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  if (typeof error === 'string') return { errorType: 'string', errorMessage: error, trace: [] };
  return { errorType: typeof error, errorMessage: JSON.stringify(error) ?? String(error), trace: [] };
}

/** Lambda's text format: `<ISO time>\t<request id>\t<LEVEL>\t<message>`, newlines kept in one record. */
function log(level: string, args: unknown[]): void {
  const message = format(...args).replace(/\n/g, '\r');
  process.stdout.write(
    `${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${message}\n`,
  );
}

function patchConsole(): void {
  console.log = (...args: unknown[]) => log('INFO', args);
  console.info = (...args: unknown[]) => log('INFO', args);
  console.warn = (...args: unknown[]) => log('WARN', args);
  console.error = (...args: unknown[]) => log('ERROR', args);
  console.debug = (...args: unknown[]) => log('DEBUG', args);
  console.trace = (...args: unknown[]) => log('TRACE', args);
}

function memoryUsedMb(): number {
  peakHeapBytes = Math.max(peakHeapBytes, getHeapStatistics().used_heap_size);
  return Math.ceil(peakHeapBytes / (1024 * 1024));
}
