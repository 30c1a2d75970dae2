import {
  createServer,
  STATUS_CODES,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { LocalRequest, LocalResponse, LocalService } from './protocol/types';
import { restJsonError } from './protocol/rest';
import { AwsError } from './protocol/errors';

/**
 * Largest request body the AWS API port reads. Above every limit of the emulated operations (Lambda
 * Invoke and InvokeEndpoint: 6 MB), so each operation still answers its own AWS error for its own limit;
 * beyond it the port answers 413 without reading (or buffering) the rest.
 */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** The request body is over the limit (answered 413; the connection is closed, the rest never read). */
export class RequestBodyTooLargeError extends Error {
  override readonly name = 'RequestBodyTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`Request body is over ${limitBytes} bytes.`);
  }
}

/** The client went away (or broke the framing) before the body was complete: nobody to answer. */
export class RequestAbortedError extends Error {
  override readonly name = 'RequestAbortedError';
}

/**
 * Reads a request body of at most `limitBytes`, refusing a larger one before buffering it. Events, not
 * `for await`: leaving an async iterator early destroys the socket, and the 413 could not be sent.
 */
export function readBody(req: IncomingMessage, limitBytes = MAX_REQUEST_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limitBytes) return Promise.reject(new RequestBodyTooLargeError(limitBytes));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.pause();
        reject(new RequestBodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new RequestAbortedError(`Request body cut off: ${error.message}`, { cause: error }));
    };
    // Closed before 'end': the client went away mid-body.
    const onClose = (): void => {
      cleanup();
      reject(new RequestAbortedError('Request body cut off'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The request target as a URL, or undefined when it cannot be one (`http://[`, `//`, ...). */
export function parseTarget(target: string | undefined): URL | undefined {
  try {
    const url = new URL(target ?? '/', 'http://local');
    // Only origin-form targets (`/path?query`) are ours; an absolute URL naming another host is a proxy request.
    return target?.startsWith('/') === true ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the LocalRequest of an incoming HTTP request (body read within `limitBytes`). */
export async function toLocalRequest(
  req: IncomingMessage,
  url: URL,
  requestId: string,
  limitBytes = MAX_REQUEST_BYTES,
): Promise<LocalRequest> {
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: await readBody(req, limitBytes),
    requestId,
  };
}

/**
 * Writes a LocalResponse; `close` ends the connection after it (the body was not read to its end:
 * dropAfterAnswer, installed when the request came in, then keeps the answer from being reset away).
 */
export function send(res: ServerResponse, out: LocalResponse, requestId: string, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const body = out.body === undefined ? '' : out.body;
  try {
    res.writeHead(out.status, {
      'x-amzn-requestid': requestId,
      'content-length': String(Buffer.byteLength(body)),
      ...out.headers,
      ...(close ? { connection: 'close' } : {}),
    });
  } catch (error) {
    // A header value a service built from the request (e.g. a control character) that Node refuses.
    const fallback = JSON.stringify({ message: `Local cloud cannot answer: ${(error as Error).message}` });
    res.writeHead(500, { 'content-type': 'application/json', 'content-length': String(fallback.length) });
    res.end(fallback);
    return;
  }
  res.end(body);
}

/**
 * After the answer, cuts a connection whose request body was not read to its end, without draining
 * (a 2 GB body) and without losing the answer: Node ends such a connection with `destroySoon()`, and
 * closing a socket with unread input sends a reset that can discard the answer before the client reads
 * it. So: half-close (FIN after the answer), discard what still arrives, and cut after a second.
 */
export function dropAfterAnswer(res: ServerResponse): void {
  res.once('prefinish', () => {
    const { req } = res;
    if (req.complete) return;
    const socket = req.socket as Socket & { destroySoon?: () => void };
    socket.destroySoon = () => {
      socket.end();
    };
    req.resume();
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
}

/**
 * Makes a server answer what Node's parser refuses (bad request line, bad header, header too large,
 * bad chunk framing, timeouts) with a 4xx and close the connection, instead of letting it reach the
 * process. Applied to every port of the local cloud and the console.
 */
export function hardenServer(server: Server): Server {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent === true) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
            ? 413
            : 400;
    const body = JSON.stringify({
      message: `${STATUS_CODES[status] ?? 'Bad Request'} (${error.code ?? 'parse error'})`,
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  return server;
}

/** `host:port` names a loopback server answers to (the Host header values of a same-machine caller). */
export function loopbackAuthorities(host: string, port: number): ReadonlySet<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', host.includes(':') ? `[${host}]` : host]);
  return new Set([...names].map((name) => `${name}:${port}`.toLowerCase()));
}

/**
 * Why a request must be refused because a browser may have sent it on behalf of another site, or
 * undefined. Host must be a loopback name of this port (a page on a rebound DNS name sends its own
 * name); Origin, when present, must be this port's own origin (any other page, even on another
 * loopback port, is another origin); Sec-Fetch-Site must not be cross-site or same-site.
 */
export function foreignRequest(
  headers: IncomingHttpHeaders,
  authorities: ReadonlySet<string>,
): { status: number; code: string; message: string } | undefined {
  const host = (headers.host ?? '').toLowerCase();
  if (!authorities.has(host)) {
    return {
      status: 421,
      code: 'MisdirectedRequest',
      message: `The local cloud answers only to loopback names (${[...authorities].join(', ')}); Host was ${JSON.stringify(headers.host ?? null)}.`,
    };
  }
  const origin = headers.origin;
  if (origin !== undefined && !authorities.has(originAuthority(origin))) {
    return {
      status: 403,
      code: 'AccessDeniedException',
      message: `Cross-origin request refused: Origin ${JSON.stringify(origin)} is not this local cloud. Browsers cannot drive the local cloud.`,
    };
  }
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') {
    return {
      status: 403,
      code: 'AccessDeniedException',
      message: `Cross-site request refused (Sec-Fetch-Site: ${site}). Browsers cannot drive the local cloud.`,
    };
  }
  return undefined;
}

function originAuthority(origin: string): string {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' ? url.host.toLowerCase() : '';
  } catch {
    return '';
  }
}

/** How the AWS API port guards itself. */
export interface AwsServerOptions {
  /** @default MAX_REQUEST_BYTES */
  readonly maxBodyBytes?: number;
}

/**
 * The AWS API server: one loopback port for every emulated service. Each request goes to the first
 * service that claims it (by X-Amz-Target, REST path or form Action), the way AWS_ENDPOINT_URL points
 * every SDK client at one place. No request can take it down: bodies are read within a limit, cut-off
 * requests are dropped, malformed ones get a 4xx, and browsers on other origins are refused.
 */
export function createAwsServer(
  services: () => readonly LocalService[],
  options: AwsServerOptions = {},
): Server {
  const limit = options.maxBodyBytes ?? MAX_REQUEST_BYTES;
  let authorities: ReadonlySet<string> | undefined;
  const server = createServer((req, res) => {
    // An 'error' listener makes Node report an abort as an error we catch in readBody, never an unhandled one.
    req.on('error', () => undefined);
    dropAfterAnswer(res);
    serveAws(req, res).catch((error: unknown) => {
      send(res, restJsonError(error), randomUUID(), true);
    });
  });
  async function serveAws(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = parseTarget(req.url);
    if (url === undefined) {
      send(
        res,
        restJsonError(badRequest(`Malformed request target ${JSON.stringify(req.url)}.`)),
        requestId,
        true,
      );
      return;
    }
    // The names are those of the address it listens on, known once it listens.
    authorities ??= authoritiesOf(server);
    const refusal = foreignRequest(req.headers, authorities);
    if (refusal !== undefined) {
      send(res, restJsonError(new AwsError(refusal.code, refusal.message, refusal.status)), requestId, true);
      return;
    }
    let local: LocalRequest;
    try {
      local = await toLocalRequest(req, url, requestId, limit);
    } catch (error) {
      if (error instanceof RequestBodyTooLargeError) {
        send(
          res,
          restJsonError(
            new AwsError(
              'RequestEntityTooLargeException',
              `Request body is over the local cloud's limit of ${limit} bytes.`,
              413,
            ),
          ),
          requestId,
          true,
        );
        return;
      }
      // Cut off mid-body: the client is gone, there is nobody to answer.
      req.socket.destroy();
      return;
    }
    let out: LocalResponse;
    try {
      const service = services().find((s) => s.matches(local));
      out =
        service === undefined
          ? restJsonError(
              new AwsError(
                'UnrecognizedClientException',
                `The local cloud does not emulate ${local.method} ${local.path}` +
                  `${typeof local.headers['x-amz-target'] === 'string' ? ` (X-Amz-Target ${local.headers['x-amz-target']})` : ''}; see local/SUPPORT.md.`,
              ),
            )
          : await service.handle(local);
    } catch (error) {
      out = restJsonError(error instanceof URIError ? badRequest(`Malformed path: ${error.message}`) : error);
    }
    if (process.env.LOCAL_CLOUD_DEBUG === '1') {
      console.error(
        `[local] ${local.method} ${local.path} ${String(local.headers['x-amz-target'] ?? '')} -> ${out.status}`,
      );
    }
    send(res, out, local.requestId);
  }
  return hardenServer(server);
}

/** The loopback `host:port` names of a listening server. */
export function authoritiesOf(server: Server): ReadonlySet<string> {
  const address = server.address() as AddressInfo;
  return loopbackAuthorities(address.address, address.port);
}

function badRequest(message: string): AwsError {
  return new AwsError('BadRequestException', message, 400);
}

/** Listens on `host:port` (port 0 picks a free one) and returns the port. */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Closes a server, cutting idle keep-alive connections so it does not linger. */
export async function close(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
