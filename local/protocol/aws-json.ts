import { gunzipSync } from 'node:zlib';
import type { LocalRequest, LocalResponse, LocalService, ServiceContext } from './types';
import { AwsError } from './errors';
import { applyFault } from '../faults';

/** One operation of a JSON-protocol service: parsed input in, output object out (or throw AwsError). */
export type JsonOperation = (input: Record<string, unknown>, req: LocalRequest) => unknown;

/** Options of a service on the awsJson1_0 / awsJson1_1 protocol (SageMaker, Step Functions, SSM, ...). */
export interface JsonServiceOptions {
  /** Service id used in fault names (`SageMaker.CreateModel`). */
  readonly id: string;
  /** X-Amz-Target prefix before the dot, e.g. `SageMaker`, `AWSStepFunctions`, `AmazonSSM`. */
  readonly targetPrefix: string;
  readonly protocol: '1.0' | '1.1';
  readonly operations: Readonly<Record<string, JsonOperation>>;
  readonly ctx: ServiceContext;
  /**
   * For awsJson services that kept their awsQuery error codes (CloudWatch): errors also carry
   * `x-amzn-query-error: <QueryCode>;Sender`, which SDKs read first. Maps an error code to its query
   * code; codes not listed lose a trailing `Exception`. @default undefined (not query-compatible)
   */
  readonly queryErrorCodes?: Readonly<Record<string, string>>;
  /**
   * Answer only requests that carry a SigV4 Authorization header (as every SDK and the AWS CLI send), so
   * a browser's form post or a bare `curl` cannot read what the service holds. The local cloud does not
   * verify the signature (any credentials work), only its shape. @default false
   */
  readonly requireSigV4?: boolean;
}

/** `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request, SignedHeaders=..., Signature=<hex64>`. */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[^/\s,]+\/\d{8}\/[a-z0-9-]+\/[a-z0-9-]+\/aws4_request, ?SignedHeaders=[a-z0-9-]+(;[a-z0-9-]+)*, ?Signature=[0-9a-f]{64}$/;

/**
 * Refuses a request without a SigV4-shaped Authorization header, with the codes Secrets Manager's
 * Common Errors list: MissingAuthenticationToken (403) when absent, IncompleteSignature (400) otherwise.
 */
export function requireSigV4(req: LocalRequest): void {
  const authorization = req.headers.authorization;
  if (authorization === undefined || authorization === '') {
    throw new AwsError(
      'MissingAuthenticationToken',
      'The request must contain either a valid (registered) AWS access key ID or X.509 certificate.',
      403,
    );
  }
  if (!SIGV4_AUTHORIZATION.test(authorization)) {
    throw new AwsError(
      'IncompleteSignature',
      'The request signature does not conform to AWS standards.',
      400,
    );
  }
}

/** Builds a LocalService speaking awsJson: `POST /` with `X-Amz-Target: <prefix>.<Operation>`. */
export function jsonService(options: JsonServiceOptions): LocalService {
  const contentType = `application/x-amz-json-${options.protocol}`;
  return {
    id: options.id,
    matches: (req) => targetOf(req)?.prefix === options.targetPrefix,
    async handle(req) {
      const operation = targetOf(req)?.operation ?? '';
      try {
        if (options.requireSigV4 === true) requireSigV4(req);
        const op = options.operations[operation];
        if (op === undefined) {
          throw new AwsError(
            'UnknownOperationException',
            `The local cloud does not emulate ${options.id}.${operation} (see local/SUPPORT.md).`,
          );
        }
        const input = parseJsonBody(decodeContent(req));
        await applyFault(options.ctx, `${options.id}.${operation}`, input);
        const output = await op(input, req);
        return { status: 200, headers: { 'content-type': contentType }, body: JSON.stringify(output ?? {}) };
      } catch (error) {
        const out = jsonError(error, contentType);
        return options.queryErrorCodes === undefined
          ? out
          : withQueryErrorHeader(out, options.queryErrorCodes);
      }
    },
  };
}

/** The request body, gunzipped when the SDK compressed it (operations with `requestCompression`, e.g. PutMetricData). */
export function decodeContent(req: LocalRequest): Buffer {
  const encoding = req.headers['content-encoding'];
  if (typeof encoding === 'string' && encoding.toLowerCase() === 'gzip') {
    try {
      return gunzipSync(req.body);
    } catch (error) {
      throw new AwsError(
        'SerializationException',
        `Request body is not valid gzip: ${(error as Error).message}`,
      );
    }
  }
  return req.body;
}

function withQueryErrorHeader(out: LocalResponse, codes: Readonly<Record<string, string>>): LocalResponse {
  const code = out.headers?.['x-amzn-errortype'] ?? 'InternalFailure';
  return {
    ...out,
    headers: { ...out.headers, 'x-amzn-query-error': queryErrorHeader(code, out.status, codes) },
  };
}

/** The `x-amzn-query-error` value of an error (`<QueryCode>;Sender|Receiver`) for query-compatible services. */
export function queryErrorHeader(
  code: string,
  status: number,
  codes: Readonly<Record<string, string>>,
): string {
  return `${codes[code] ?? code.replace(/Exception$/, '')};${status >= 500 ? 'Receiver' : 'Sender'}`;
}

/** Splits `X-Amz-Target: Prefix.Operation`. */
export function targetOf(req: LocalRequest): { prefix: string; operation: string } | undefined {
  const target = req.headers['x-amz-target'];
  if (typeof target !== 'string') return undefined;
  const dot = target.lastIndexOf('.');
  if (dot < 0) return undefined;
  return { prefix: target.slice(0, dot), operation: target.slice(dot + 1) };
}

/** Parses a JSON request body; an empty body is `{}`. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AwsError('SerializationException', 'Request body must be a JSON object.');
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof AwsError) throw error;
    throw new AwsError(
      'SerializationException',
      `Request body is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** Serializes an error as awsJson does (`__type` + `message`, plus `x-amzn-ErrorType`). */
export function jsonError(error: unknown, contentType = 'application/x-amz-json-1.1'): LocalResponse {
  const aws = toAwsError(error);
  return {
    status: aws.status,
    headers: { 'content-type': contentType, 'x-amzn-errortype': aws.code },
    body: JSON.stringify({ __type: aws.code, message: aws.message, ...aws.fields }),
  };
}

/** Any thrown value as an AwsError (unexpected ones become InternalFailure, 500). */
export function toAwsError(error: unknown): AwsError {
  if (error instanceof AwsError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AwsError('InternalFailure', `Local cloud internal error: ${message}`, 500);
}
