import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { applyFault } from '../faults';
import { toAwsError } from '../protocol/aws-json';
import type { ServiceContext } from '../protocol/types';
import {
  close,
  dropAfterAnswer,
  hardenServer,
  listen,
  parseTarget,
  readBody,
  RequestBodyTooLargeError,
} from '../server';
import { portError } from '../errors';
import { EdgeCache, type CachePolicy } from './edge-cache';
import {
  apiGatewayError,
  buildProxyEvent,
  MalformedProxyResponseError,
  proxyResultToResponse,
  type ApiRequest,
  type ApiResponse,
} from './edge-proxy-event';
import type { LambdaFunctions } from './lambda/lambda-functions';

/** One service behind the edge: its distribution, API and proxy function. */
export interface EdgeRoute {
  readonly service: string;
  readonly functionName: string;
  /** Value `x-api-key` must have; null: no API key required. */
  readonly apiKey: string | null;
  /** Value CloudFront adds as `x-origin-verify`; null: none added. */
  readonly originVerifySecret: string | null;
  /** CloudFront distribution whose invalidations clear this service's cache. */
  readonly distributionId: string | null;
}

/** Where the edge listens and how it behaves. */
export interface EdgeOptions {
  readonly ctx: ServiceContext;
  readonly lambda: LambdaFunctions;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** API Gateway's integration timeout, real ms. @default 29000 */
  readonly integrationTimeoutMs?: number;
  /** Request bodies over this many bytes are refused with 413 (API Gateway's limit). @default 10485760 */
  readonly maxBodyBytes?: number;
  /** Paths (below the service) whose GET/HEAD answers CloudFront caches. @default ['/model'] */
  readonly cachedPaths?: readonly string[];
  readonly cachePolicy?: CachePolicy;
}

/** Prefix of the path that reaches API Gateway without CloudFront. */
export const DIRECT_PREFIX = '_direct';
const STAGE = 'prod';

/**
 * The edge: one HTTP port acting as CloudFront in front of API Gateway (REST API, Lambda proxy
 * integration) in front of each service's proxy function, the way the serving stack wires them.
 *
 * `{edgeUrl}/{service}/{path}`: CloudFront (cache for GET/HEAD on the cached paths, viewer Host replaced
 * by the API's, `via` / `x-amz-cf-id` / `x-forwarded-for` and the `x-origin-verify` origin header added)
 * then API Gateway (API key, 10 MB limit, proxy event, 29 s integration timeout, proxy result mapping).
 * `{edgeUrl}/_direct/{service}/{path}`: API Gateway alone, as a caller going around CloudFront would.
 */
export class Edge {
  private readonly routes = new Map<string, EdgeRoute>();
  private readonly cache: EdgeCache;
  private readonly integrationTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly cachedPaths: readonly string[];

  private constructor(
    private readonly options: EdgeOptions,
    private readonly server: Server,
    /** Base URL, e.g. http://127.0.0.1:4581. */
    readonly url: string,
  ) {
    this.cache = new EdgeCache(options.cachePolicy);
    this.integrationTimeoutMs = options.integrationTimeoutMs ?? 29_000;
    this.maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
    this.cachedPaths = options.cachedPaths ?? ['/model'];
  }

  /** Starts listening. */
  static async start(options: EdgeOptions): Promise<Edge> {
    // The server needs the edge and the edge needs the server's port: requests wait for both.
    const holder: { edge?: Edge } = {};
    const server = hardenServer(
      createServer((req, res) => {
        // An 'error' listener makes Node report an abort as an error readBody catches, never an unhandled one.
        req.on('error', () => undefined);
        dropAfterAnswer(res);
        if (holder.edge === undefined) {
          res.writeHead(503, { connection: 'close' }).end();
          return;
        }
        holder.edge.handle(req, res).catch(() => res.destroy());
      }),
    );
    let port: number;
    try {
      port = await listen(server, options.port, options.host);
    } catch (error) {
      throw portError(error, 'edge', options.port, '--edge-port');
    }
    const edge = new Edge(options, server, `http://${options.host}:${port}`);
    holder.edge = edge;
    return edge;
  }

  /** Adds or replaces a service's route. */
  addRoute(route: EdgeRoute): void {
    this.routes.set(route.service, route);
  }

  /** The routes, for the inventory. */
  listRoutes(): Record<string, unknown>[] {
    return [...this.routes.values()].map((r) => ({
      service: r.service,
      publicUrl: `${this.url}/${r.service}`,
      directUrl: `${this.url}/${DIRECT_PREFIX}/${r.service}`,
      functionName: r.functionName,
      distributionId: r.distributionId,
      cachedAnswers: this.cache.size(r.service),
    }));
  }

  /** Applies a CloudFront invalidation to the service whose distribution it names. */
  invalidate(distributionId: string, paths: readonly string[]): number {
    let removed = 0;
    for (const route of this.routes.values()) {
      if (route.distributionId === distributionId) removed += this.cache.invalidate(route.service, paths);
    }
    return removed;
  }

  /** Forgets every route and cached answer. */
  reset(): void {
    this.routes.clear();
    this.cache.clear();
  }

  /** Stops listening (open connections are cut). */
  async close(): Promise<void> {
    await close(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = parseTarget(req.url);
      if (url === undefined) {
        write(res, apiGatewayError(400, 'Bad Request', 'BadRequestException'), true);
        return;
      }
      const segments = url.pathname.split('/').slice(1);
      const direct = segments[0] === DIRECT_PREFIX;
      if (direct) segments.shift();
      const decoded = decodeSegments(segments);
      if (decoded === undefined) {
        write(res, apiGatewayError(400, 'Bad Request', 'BadRequestException'), true);
        return;
      }
      const service = decoded.shift() ?? '';
      const route = this.routes.get(service);
      if (route === undefined) {
        const known = [...this.routes.keys()];
        write(
          res,
          {
            status: 404,
            headers: { 'content-type': ['application/json'] },
            body: Buffer.from(
              JSON.stringify({
                message:
                  `No service "${service}" on this edge. ` +
                  (known.length === 0
                    ? 'No service is provisioned yet (POST /_local/services on the AWS port, or rollout up --service <name>).'
                    : `Known: ${known.join(', ')}.`),
                knownServices: known,
              }),
            ),
          },
          true,
        );
        return;
      }
      const path = `/${decoded.join('/')}`;
      const method = (req.method ?? 'GET').toUpperCase();
      let body: Buffer;
      try {
        body = await readBody(req, this.maxBodyBytes);
      } catch (error) {
        if (error instanceof RequestBodyTooLargeError) {
          // Answered without reading the rest: a 2 GB body is neither buffered nor drained.
          write(res, apiGatewayError(413, 'Request Too Long', 'RequestTooLongException'), true);
        } else {
          // Cut off mid-body: the client is gone.
          req.socket.destroy();
        }
        return;
      }
      const request: ApiRequest = {
        method,
        path,
        query: url.searchParams,
        headers: pairs(req.rawHeaders),
        body,
        sourceIp: normalizeIp(req.socket.remoteAddress),
      };
      write(res, direct ? await this.apiGateway(route, request) : await this.cloudFront(route, request));
    } catch (error) {
      write(res, apiGatewayError(500, `Edge failure: ${(error as Error).message}`, 'InternalFailure'));
    }
  }

  /** CloudFront: cache for cached paths, origin request headers, response headers. */
  private async cloudFront(route: EdgeRoute, request: ApiRequest): Promise<ApiResponse> {
    const cfId = randomBytes(30).toString('base64url').slice(0, 40);
    const via = `1.1 ${createHash('md5').update(route.service).digest('hex')}.cloudfront.net (CloudFront)`;
    const cachedBehaviour = this.cachedPaths.includes(request.path);
    const cacheable = cachedBehaviour && (request.method === 'GET' || request.method === 'HEAD');
    // The cache policy keys on the path and x-api-key only; the query string is forwarded, not keyed.
    const apiKey = headerOf(request.headers, 'x-api-key') ?? '';
    const key = `${route.service}|${request.path}|${apiKey}`;
    const cfHeaders = (xCache: string, age?: number): Record<string, string[]> => ({
      via: [via],
      'x-cache': [xCache],
      'x-amz-cf-pop': ['LOCAL1-C1'],
      'x-amz-cf-id': [cfId],
      ...(age === undefined ? {} : { age: [String(age)] }),
    });
    if (cachedBehaviour && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      // The cached behaviour allows GET, HEAD and OPTIONS only; CloudFront refuses other methods itself.
      return {
        status: 403,
        headers: { 'content-type': ['text/html'], ...cfHeaders('Error from cloudfront') },
        body: Buffer.from(
          '<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>' +
            'This distribution is not configured to allow the HTTP request method that was used for this request. ' +
            'The distribution supports only cachable requests.</BODY></HTML>',
        ),
      };
    }
    if (cacheable) {
      const hit = this.cache.get(key);
      if (hit !== undefined) {
        const age = Math.floor((Date.now() - hit.storedAt) / 1000);
        return {
          status: hit.response.status,
          headers: { ...hit.response.headers, ...cfHeaders('Hit from cloudfront', age) },
          body: request.method === 'HEAD' ? Buffer.alloc(0) : hit.response.body,
        };
      }
    }
    const viewerIp = request.sourceIp;
    const forwarded = headerOf(request.headers, 'x-forwarded-for');
    // AllViewerExceptHostHeader: every viewer header but Host; CloudFront adds its own and the origin's custom header.
    const originHeaders: (readonly [string, string])[] = [
      ...request.headers.filter(
        ([name]) => !['host', 'x-forwarded-for', 'via', 'x-origin-verify'].includes(name.toLowerCase()),
      ),
      ['Host', this.apiDomain(route)],
      ['Via', via],
      ['X-Amz-Cf-Id', cfId],
      ['X-Forwarded-For', forwarded === undefined ? viewerIp : `${forwarded}, ${viewerIp}`],
      ['CloudFront-Forwarded-Proto', 'http'],
      ['CloudFront-Viewer-Country', 'US'],
      ...(route.originVerifySecret === null ? [] : [['x-origin-verify', route.originVerifySecret] as const]),
    ];
    const response = await this.apiGateway(route, { ...request, headers: originHeaders });
    if (cacheable && request.method === 'GET') this.cache.put(key, route.service, request.path, response);
    const xCache = response.status >= 400 ? 'Error from cloudfront' : 'Miss from cloudfront';
    return { ...response, headers: { ...response.headers, ...cfHeaders(xCache) } };
  }

  /** API Gateway: API key, proxy event, Lambda invoke with the integration timeout, result mapping. */
  private async apiGateway(route: EdgeRoute, request: ApiRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    const apiHeaders = {
      'x-amzn-requestid': [requestId],
      'x-amz-apigw-id': [randomBytes(12).toString('base64url').slice(0, 16)],
      'x-amzn-trace-id': [traceId()],
    };
    const withApiHeaders = (response: ApiResponse): ApiResponse => ({
      ...response,
      headers: { ...response.headers, ...apiHeaders },
    });
    if (route.apiKey !== null && headerOf(request.headers, 'x-api-key') !== route.apiKey) {
      return withApiHeaders(apiGatewayError(403, 'Forbidden', 'ForbiddenException'));
    }
    const forwardedFor = headerOf(request.headers, 'x-forwarded-for');
    const headers: (readonly [string, string])[] = [
      ...request.headers.filter(([name]) => !['host', 'x-forwarded-for'].includes(name.toLowerCase())),
      ['Host', this.apiDomain(route)],
      // Behind CloudFront the header already names the viewer; a direct caller is named here.
      ['X-Forwarded-For', forwardedFor ?? request.sourceIp],
      ['X-Amzn-Trace-Id', apiHeaders['x-amzn-trace-id'][0] ?? ''],
      ['X-Forwarded-Port', '443'],
      ['X-Forwarded-Proto', 'https'],
    ];
    const event = buildProxyEvent(
      { ...request, headers },
      {
        apiId: this.apiId(route),
        accountId: this.options.ctx.accountId,
        region: this.options.ctx.region,
        stage: STAGE,
        apiKeyId: route.apiKey === null ? null : this.apiId(route).slice(0, 10),
      },
      requestId,
    );
    return withApiHeaders(await this.integrate(route, event));
  }

  private async integrate(route: EdgeRoute, event: Record<string, unknown>): Promise<ApiResponse> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.integrationTimeoutMs);
    });
    const invocation = (async () => {
      const input = { FunctionName: route.functionName, InvocationType: 'RequestResponse' };
      await applyFault(this.options.ctx, 'Lambda.Invoke', input);
      return this.options.lambda.invoke({
        functionName: route.functionName,
        payload: Buffer.from(JSON.stringify(event)),
      });
    })();
    try {
      const outcome = await Promise.race([invocation, timeout]);
      if (outcome === 'timeout') {
        // The function keeps running, as on AWS; its answer is dropped.
        invocation.catch(() => undefined);
        return apiGatewayError(504, 'Endpoint request timed out', 'IntegrationTimeout');
      }
      if (outcome.functionError !== undefined || outcome.payload === undefined) {
        return apiGatewayError(502, 'Internal server error', 'InternalServerErrorException');
      }
      const response = proxyResultToResponse(outcome.payload);
      const headers = { ...response.headers };
      headers['content-type'] ??= ['application/json'];
      return { ...response, headers };
    } catch (error) {
      if (error instanceof MalformedProxyResponseError) {
        return apiGatewayError(502, 'Internal server error', 'InternalServerErrorException');
      }
      const aws = toAwsError(error);
      if (aws.code === 'TooManyRequestsException') {
        return apiGatewayError(429, 'Too Many Requests', 'TooManyRequestsException');
      }
      if (aws.code === 'RequestTooLargeException') {
        // Lambda refused the event (over 6,291,456 bytes, the base64 body included) before the function
        // ran; API Gateway answers 413 "Request Too Long" typed BadRequestException (see SUPPORT.md).
        return apiGatewayError(413, 'Request Too Long', 'BadRequestException');
      }
      return apiGatewayError(500, 'Internal server error', 'InternalServerErrorException');
    } finally {
      clearTimeout(timer);
    }
  }

  private apiId(route: EdgeRoute): string {
    return createHash('sha256').update(`api:${route.service}`).digest('hex').slice(0, 10);
  }

  private apiDomain(route: EdgeRoute): string {
    return `${this.apiId(route)}.execute-api.${this.options.ctx.region}.amazonaws.com`;
  }
}

/** Percent-decoded path segments, or undefined when one is not valid percent-encoding (`%zz`). */
function decodeSegments(segments: readonly string[]): string[] | undefined {
  try {
    return segments.map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] ?? '', raw[i + 1] ?? '']);
  return out;
}

function headerOf(headers: readonly (readonly [string, string])[], name: string): string | undefined {
  return headers
    .filter(([n]) => n.toLowerCase() === name)
    .map(([, v]) => v)
    .pop();
}

function normalizeIp(address: string | undefined): string {
  if (address === undefined) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/** Writes an answer; `close` ends the connection after it (the request body was not read to its end). */
function write(res: ServerResponse, response: ApiResponse, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(response.headers))
    headers[name] = values.length === 1 ? (values[0] ?? '') : [...values];
  headers['content-length'] = String(response.body.length);
  if (close) headers.connection = 'close';
  try {
    res.writeHead(response.status, headers);
  } catch {
    // A header the function returned that Node cannot send (a control character): API Gateway answers 502.
    const fallback = apiGatewayError(502, 'Internal server error', 'InternalServerErrorException');
    res.writeHead(502, {
      'content-type': 'application/json',
      'content-length': String(fallback.body.length),
    });
    res.end(fallback.body);
    return;
  }
  res.end(response.body);
}
