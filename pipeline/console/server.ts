import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { ExecutionStatus } from '@aws-sdk/client-sfn';
import type { Target } from '../target';
import { healthSeries, listServices, rolloutDetail, rolloutsPage } from './api';
import { installResponseCache } from './response-cache';
import { dropAfterAnswer, hardenServer, parseTarget } from '../../local/server';

/** Options of the console server. */
export interface ConsoleOptions {
  /** @default 4582 (0 picks a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' (loopback only: the console has no authentication) */
  readonly host?: string;
}

/** Default console port. */
export const CONSOLE_DEFAULT_PORT = 4582;

/** A running console. */
export interface ConsoleServer {
  readonly url: string;
  /** Step Functions answers served from the console's cache of ended executions, and fetched. */
  cacheStats(): { readonly hits: number; readonly misses: number; readonly entries: number };
  close(): Promise<void>;
}

const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * Serves the deployment history console on loopback: a small Preact page (bundled here by esbuild, no
 * CDN) and a JSON API that reads through the target's AWS clients only.
 */
export async function startConsole(target: Target, options: ConsoleOptions = {}): Promise<ConsoleServer> {
  const assets = await bundleWeb();
  const cache = installResponseCache(target.clients.sfn);
  const routes: [RegExp, (m: RegExpExecArray, url: URL) => Promise<unknown>][] = [
    [
      /^\/api\/info$/,
      () => Promise.resolve({ target: target.description, kind: target.kind, region: target.region }),
    ],
    [/^\/api\/services$/, () => listServices(target)],
    [
      /^\/api\/rollouts$/,
      (_m, url) => {
        const status = url.searchParams.get('status')?.toUpperCase();
        const service = url.searchParams.get('service');
        const nextToken = url.searchParams.get('nextToken');
        const pageSize = Number(url.searchParams.get('pageSize') ?? '25');
        return rolloutsPage(target, {
          ...(service === null || service === '' ? {} : { service }),
          ...(status === undefined || !STATUSES.has(status) ? {} : { status: status as ExecutionStatus }),
          ...(nextToken === null || nextToken === '' ? {} : { nextToken }),
          pageSize: Number.isInteger(pageSize) && pageSize > 0 && pageSize <= 100 ? pageSize : 25,
        });
      },
    ],
    [/^\/api\/rollouts\/([A-Za-z0-9-_]{1,80})$/, (m) => rolloutDetail(target, m[1] ?? '')],
    [
      /^\/api\/health\/([a-z0-9-]{1,20})$/,
      (m, url) => {
        const minutes = Number(url.searchParams.get('minutes') ?? '60');
        return healthSeries(
          target,
          m[1] ?? '',
          Number.isFinite(minutes) && minutes > 0 && minutes <= 60 * 24 * 14 ? minutes : 60,
        );
      },
    ],
  ];
  const server = hardenServer(
    createServer((req, res) => {
      // An 'error' listener makes Node report an abort quietly; a GET's body is never read, only cut off.
      req.on('error', () => undefined);
      dropAfterAnswer(res);
      handle(req, res).catch((error: unknown) =>
        send(
          res,
          500,
          'application/json',
          JSON.stringify({ error: 'InternalError', message: String(error) }),
        ),
      );
    }),
  );
  const host = options.host ?? '127.0.0.1';
  let allowedHosts: ReadonlySet<string> | null = null;
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseTarget(req.url);
    if (url === undefined)
      return send(
        res,
        400,
        'application/json',
        JSON.stringify({ error: 'BadRequest', message: 'Malformed request target' }),
      );
    // DNS rebinding: a web page whose name resolves to 127.0.0.1 could otherwise read this console.
    if (allowedHosts !== null && !allowedHosts.has(req.headers.host ?? '')) {
      return send(res, 421, 'application/json', JSON.stringify({ error: 'MisdirectedRequest' }));
    }
    if (req.method !== 'GET')
      return send(res, 405, 'application/json', JSON.stringify({ error: 'Only GET' }));
    if (url.pathname === '/' || url.pathname === '/index.html')
      return send(res, 200, 'text/html; charset=utf-8', INDEX_HTML);
    if (url.pathname === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', assets.js);
    if (url.pathname === '/app.css') return send(res, 200, 'text/css; charset=utf-8', assets.css);
    for (const [re, fn] of routes) {
      const m = re.exec(url.pathname);
      if (m === null) continue;
      try {
        return send(res, 200, 'application/json', JSON.stringify(await fn(m, url)));
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const status = name === 'ExecutionDoesNotExist' ? 404 : 502;
        return send(
          res,
          status,
          'application/json',
          JSON.stringify({ error: name, message: error instanceof Error ? error.message : String(error) }),
        );
      }
    }
    send(
      res,
      404,
      'application/json',
      JSON.stringify({ error: 'NotFound', message: `No route ${url.pathname}` }),
    );
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? CONSOLE_DEFAULT_PORT, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  if (LOOPBACK.has(host)) {
    allowedHosts = new Set([...LOOPBACK].map((h) => `${h.includes(':') ? `[${h}]` : h}:${port}`));
  }
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    cacheStats: () => cache.stats(),
    close: async () => {
      await closeServer(server);
      cache.uninstall();
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Bundles the page (Preact + uPlot + styles) in memory. */
export async function bundleWeb(): Promise<{ js: string; css: string }> {
  const result = await build({
    entryPoints: [join(__dirname, 'web', 'main.tsx')],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: 'es2020',
    outdir: 'out',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
  return { js, css };
}

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rollouts · hf-sagemaker-rollout</title>
<link rel="stylesheet" href="/app.css">
<script>
/* The overview's first requests start now, while app.js downloads and runs; the app takes them over. */
if (location.hash === '' || location.hash === '#/') {
  window.__consoleBoot = {
    services: fetch('/api/services', { cache: 'no-store' }),
    rollouts: fetch('/api/rollouts', { cache: 'no-store' })
  };
}
</script>
<script src="/app.js" defer></script>
</head>
<body>
<div id="app"><p class="loading">Loading…</p></div>
</body>
</html>`;
