import type { APIGatewayProxyEvent } from 'aws-lambda';
import { MissingBodyError, PayloadTooLargeError } from './errors';

/** Largest body InvokeEndpoint accepts: 6 MB, counted after base64 decoding. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

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

/** The body's bytes (base64 decoded when API Gateway encoded it); fails on no body or one over 6 MB. */
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
      `The body is ${bytes.length} bytes; SageMaker InvokeEndpoint accepts at most 6 MB (${MAX_BODY_BYTES} bytes). Send a smaller input, or use an asynchronous endpoint for large payloads.`,
    );
  }
  return bytes;
}
