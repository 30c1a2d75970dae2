import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { LocalRequest, LocalResponse, LocalService } from './protocol/types';
import { restJsonError } from './protocol/rest';
import { AwsError } from './protocol/errors';

/** Reads a request body completely. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Builds the LocalRequest of an incoming HTTP request. */
export async function toLocalRequest(req: IncomingMessage): Promise<LocalRequest> {
  const url = new URL(req.url ?? '/', 'http://local');
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: await readBody(req),
    requestId: randomUUID(),
  };
}

/** Writes a LocalResponse. */
export function send(res: ServerResponse, out: LocalResponse, requestId: string): void {
  const body = out.body === undefined ? '' : out.body;
  res.writeHead(out.status, {
    'x-amzn-requestid': requestId,
    'content-length': String(Buffer.byteLength(body)),
    ...out.headers,
  });
  res.end(body);
}

/**
 * The AWS API server: one loopback port for every emulated service. Each request goes to the first
 * service that claims it (by X-Amz-Target, REST path or form Action), the way AWS_ENDPOINT_URL points
 * every SDK client at one place.
 */
export function createAwsServer(services: () => readonly LocalService[]): Server {
  return createServer((req, res) => {
    void (async () => {
      const local = await toLocalRequest(req);
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
        out = restJsonError(error);
      }
      if (process.env.LOCAL_CLOUD_DEBUG === '1') {
        console.error(
          `[local] ${local.method} ${local.path} ${String(local.headers['x-amz-target'] ?? '')} -> ${out.status}`,
        );
      }
      send(res, out, local.requestId);
    })();
  });
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
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
