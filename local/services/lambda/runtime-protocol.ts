/**
 * Messages between an execution environment (a worker thread running runtime-bootstrap.ts) and the
 * Lambda service. Kept in one file so both sides agree on every field.
 */

/** What a worker is started with (its `workerData`); fixed for the worker's life, like an environment. */
export interface WorkerInit {
  /** Absolute path of the function's bundle. */
  readonly bundleFile: string;
  /** Exported name of the handler (Lambda's `index.handler` → `handler`). */
  readonly handlerName: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memoryMb: number;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** NODE_OPTIONS of the function asked for --enable-source-maps. */
  readonly enableSourceMaps: boolean;
}

/** Lambda's error payload (`X-Amz-Function-Error: Unhandled` body). */
export interface FunctionErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

/** Parent → worker: run one invocation. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly requestId: string;
  /** The event as JSON text. */
  readonly payload: string;
  /** Epoch milliseconds when the function times out (for getRemainingTimeInMillis). */
  readonly deadlineMs: number;
  readonly invokedFunctionArn: string;
  /** Base64 JSON from X-Amz-Client-Context, if any. */
  readonly clientContext?: string;
}

/** Worker → parent: init finished (once, before any reply), or the outcome of one invocation. */
export type WorkerReply =
  | { readonly type: 'init'; readonly initDurationMs: number }
  | {
      readonly type: 'result';
      readonly requestId: string;
      /** The handler's result as JSON text. */
      readonly payload: string;
      readonly maxMemoryUsedMb: number;
    }
  | {
      readonly type: 'error';
      readonly requestId: string;
      readonly error: FunctionErrorPayload;
      readonly maxMemoryUsedMb: number;
      /** The environment cannot be reused (init failed, uncaught exception): the parent retires it. */
      readonly fatal: boolean;
    };

/** The line a worker writes to stdout when an invocation ends (Lambda's platform line). */
export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

/** Recognizes an END line and returns its request id. */
export function endLineRequestId(line: string): string | undefined {
  return /^END RequestId: (\S+)$/.exec(line)?.[1];
}
