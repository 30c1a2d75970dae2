import type { APIGatewayProxyEvent } from 'aws-lambda';
import { MissingBodyError, PayloadTooLargeError } from './errors';

/** Lambda's synchronous invocation payload limit: the whole JSON proxy event, base64 body included. */
export const LAMBDA_EVENT_LIMIT_BYTES = 6_291_456;

/**
 * Largest raw body the proxy forwards. API Gateway (binaryMediaTypes `*\/*`) hands the body to Lambda
 * base64-encoded, so it grows by 4/3 inside an event that may hold at most LAMBDA_EVENT_LIMIT_BYTES:
 * 4,500,000 raw bytes are 6,000,000 base64 characters, leaving 291,456 bytes for the rest of the event
 * (API Gateway's headers are at most 10,240 bytes and appear twice, JSON-escaped). InvokeEndpoint's own
 * 6 MB is therefore never the binding limit behind this API.
 */
export const MAX_BODY_BYTES = 4_500_000;

/**
 * A serverless endpoint's InvokeEndpoint limit. The proxy knows only ENDPOINT_NAME, not the endpoint's
 * type, and learning it would cost a DescribeEndpoint per cold start (one more grant, one more failure
 * mode on the request path). So the proxy checks MAX_BODY_BYTES itself and a serverless endpoint's own
 * 413 is answered as the same PayloadTooLarge naming this limit (invoke-errors.ts).
 */
export const SERVERLESS_MAX_BODY_BYTES = 4_194_304;

/** An API Gateway (REST, payload v1) request as the proxy sees it. */
export interface ProxyRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Resource path without the stage, trailing slashes removed (`/predict`). */
  readonly path: string;
  /** Header values by lower-case name (HTTP header names are case-insensitive). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
  /** API Gateway's request id, for logs. */
  readonly apiRequestId: string | undefined;
}

/** Normalizes a proxy event: method case, path, header-name case. */
export function toProxyRequest(event: APIGatewayProxyEvent): ProxyRequest {
  const headers: Record<string, string> = {};
  // multiValueHeaders first, so the single-value map (API Gateway's last value) wins on conflicts.
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    const last = values?.[values.length - 1];
    if (last !== undefined) headers[name.toLowerCase()] = last;
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const rawPath = event.path || '/';
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') || '/' : rawPath;
  return {
    method: (event.httpMethod || 'GET').toUpperCase(),
    path,
    headers,
    body: event.body ?? null,
    isBase64Encoded: event.isBase64Encoded === true,
    apiRequestId: event.requestContext?.requestId,
  };
}

/** The body's bytes (base64 decoded when API Gateway encoded it); fails on no body or one over MAX_BODY_BYTES. */
export function requestBodyBytes(request: ProxyRequest): Buffer {
  if (request.body === null || request.body === '') {
    throw new MissingBodyError(
      'The request has no body. Send the model input, e.g. {"inputs": "I love this product"} with Content-Type: application/json.',
    );
  }
  const bytes = request.isBase64Encoded
    ? Buffer.from(request.body, 'base64')
    : Buffer.from(request.body, 'utf8');
  if (bytes.length === 0) {
    throw new MissingBodyError('The request body is empty. Send the model input, e.g. {"inputs": "..."}.');
  }
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `The body is ${bytes.length} bytes; this API accepts at most ${MAX_BODY_BYTES} bytes (${SERVERLESS_MAX_BODY_BYTES} bytes on a serverless endpoint), because API Gateway passes it base64-encoded to a Lambda function whose event may hold at most ${LAMBDA_EVENT_LIMIT_BYTES} bytes. Send a smaller input, or use an asynchronous endpoint for large payloads.`,
    );
  }
  return bytes;
}
