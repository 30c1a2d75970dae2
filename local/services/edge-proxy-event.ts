import { randomUUID } from 'node:crypto';

/** The request as API Gateway receives it (after CloudFront, when there is one). */
export interface ApiRequest {
  readonly method: string;
  /** Path below the API's stage, URI-decoded, starting with `/`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header name/value pairs in arrival order, names as sent. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly sourceIp: string;
}

/** Facts about the API a proxy event carries. */
export interface ApiFacts {
  readonly apiId: string;
  readonly accountId: string;
  readonly region: string;
  readonly stage: string;
  readonly apiKeyId: string | null;
}

/** What an API Gateway answer looks like before it is written. */
export interface ApiResponse {
  readonly status: number;
  /** Header name → values (several values are written as repeated headers). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
}

/**
 * Builds the REST API (payload v1) Lambda proxy event for a request, as API Gateway does for an API
 * with `ANY /` and `ANY /{proxy+}` and binaryMediaTypes `*\/*`: every body arrives base64-encoded with
 * isBase64Encoded true; single- and multi-value maps of headers and query parameters; requestContext
 * with the stage, request id, time and caller identity.
 */
export function buildProxyEvent(
  request: ApiRequest,
  api: ApiFacts,
  requestId: string,
): Record<string, unknown> {
  const root = request.path === '/' || request.path === '';
  const resource = root ? '/' : '/{proxy+}';
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of request.headers) {
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of request.query) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const now = new Date();
  const header = (name: string): string | null =>
    request.headers
      .filter(([n]) => n.toLowerCase() === name)
      .map(([, v]) => v)
      .pop() ?? null;
  const hasBody = request.body.length > 0;
  return {
    resource,
    path: request.path,
    httpMethod: request.method,
    headers: request.headers.length === 0 ? null : headers,
    multiValueHeaders: request.headers.length === 0 ? null : multiValueHeaders,
    queryStringParameters: Object.keys(query).length === 0 ? null : query,
    multiValueQueryStringParameters: Object.keys(multiQuery).length === 0 ? null : multiQuery,
    pathParameters: root ? null : { proxy: request.path.slice(1) },
    stageVariables: null,
    requestContext: {
      resourceId: root ? `${api.apiId.slice(0, 6)}root` : `${api.apiId.slice(0, 6)}prox`,
      resourcePath: resource,
      httpMethod: request.method,
      extendedRequestId: randomUUID().replace(/-/g, '').slice(0, 16),
      requestTime: apiGatewayTime(now),
      path: `/${api.stage}${request.path}`,
      accountId: api.accountId,
      protocol: 'HTTP/1.1',
      stage: api.stage,
      domainPrefix: api.apiId,
      requestTimeEpoch: now.getTime(),
      requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: request.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: header('user-agent'),
        user: null,
        apiKey: header('x-api-key'),
        apiKeyId: api.apiKeyId,
      },
      domainName: `${api.apiId}.execute-api.${api.region}.amazonaws.com`,
      apiId: api.apiId,
    },
    body: hasBody ? request.body.toString('base64') : null,
    isBase64Encoded: hasBody,
  };
}

/** Thrown when a function's result is not a valid proxy response (API Gateway answers 502). */
export class MalformedProxyResponseError extends Error {
  override readonly name = 'MalformedProxyResponseError';
}

const RESULT_FIELDS = ['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded'];

/**
 * Turns a Lambda proxy result into the HTTP answer, with API Gateway's checks: an object with an
 * integer statusCode, a string body, string header values, nothing else; a base64 body is decoded
 * (binaryMediaTypes `*\/*`). Anything else is a MalformedProxyResponseError.
 */
export function proxyResultToResponse(payload: string): ApiResponse {
  let result: unknown;
  try {
    result = JSON.parse(payload);
  } catch {
    throw new MalformedProxyResponseError('The function result is not JSON.');
  }
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    throw new MalformedProxyResponseError('The function result is not an object.');
  }
  const r = result as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !RESULT_FIELDS.includes(k));
  if (extra.length > 0) throw new MalformedProxyResponseError(`Unexpected field(s) ${extra.join(', ')}.`);
  const status = r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new MalformedProxyResponseError('statusCode must be an integer HTTP status.');
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') {
    throw new MalformedProxyResponseError('body must be a string.');
  }
  const headers: Record<string, string[]> = {};
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers))
      throw new MalformedProxyResponseError('headers must be an object.');
    for (const [name, value] of Object.entries(r.headers as Record<string, unknown>)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        throw new MalformedProxyResponseError(`header ${name} must be a string.`);
      }
      headers[name.toLowerCase()] = [String(value)];
    }
  }
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object' || Array.isArray(r.multiValueHeaders)) {
      throw new MalformedProxyResponseError('multiValueHeaders must be an object.');
    }
    for (const [name, values] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(values) || values.some((v) => !['string', 'number', 'boolean'].includes(typeof v))) {
        throw new MalformedProxyResponseError(`multiValueHeaders.${name} must be an array of strings.`);
      }
      const key = name.toLowerCase();
      headers[key] = [...(headers[key] ?? []), ...values.map(String)];
    }
  }
  const text = typeof r.body === 'string' ? r.body : '';
  const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { status, headers, body };
}

/** API Gateway's own JSON error answer. */
export function apiGatewayError(status: number, message: string, errorType: string): ApiResponse {
  return {
    status,
    headers: { 'content-type': ['application/json'], 'x-amzn-errortype': [errorType] },
    body: Buffer.from(JSON.stringify({ message })),
  };
}

/** `requestContext.requestTime` format: `09/Apr/2015:12:34:56 +0000`. */
function apiGatewayTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()] ?? ''}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
