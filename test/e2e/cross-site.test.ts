import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startCloud, type E2eCloud } from './support/cloud';
import { rolloutIdFor, specVersion } from './support/specs';

/**
 * A web page on another loopback port, in a real browser (Debian's chromium driven by playwright-core),
 * tries what any page could do to a local cloud left running: reset it, plant faults, read the API
 * key from Secrets Manager, with `no-cors` (the response is opaque but the request is sent) and with
 * CORS. All three fail: the AWS port refuses foreign Origins and Hosts before reading the body, the
 * admin API wants the run's token, and Secrets Manager answers only SigV4-signed requests. The same
 * requests from outside a browser (raw sockets) prove each guard alone.
 */

const CHROMIUM = '/usr/bin/chromium';
const SERVICE = 'sentiment';

let cloud: E2eCloud;
let stop: () => Promise<void>;
let page: Server;
let pageUrl: string;
let profile: string;
let context: BrowserContext;
let secretId: string;

/** The attacker's page: it runs every attempt and reports what it could observe. */
function attackPage(endpoint: string, secret: string): string {
  return `<!doctype html><html><body><script>
const endpoint = ${JSON.stringify(endpoint)};
async function attempt(name, url, init) {
  try {
    const res = await fetch(url, init);
    let body = '';
    try { body = await res.text(); } catch (e) { body = 'unreadable: ' + e; }
    return { name, sent: true, type: res.type, status: res.status, body };
  } catch (error) {
    return { name, sent: false, error: String(error) };
  }
}
window.attack = async () => [
  await attempt('reset (no-cors)', endpoint + '/_local/reset', { method: 'POST', mode: 'no-cors' }),
  await attempt('plant fault (no-cors)', endpoint + '/_local/faults', {
    method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ operation: 'Lambda.Invoke', outcome: { error: 'ServiceException' } }),
  }),
  await attempt('read secret (cors)', endpoint + '/', {
    method: 'POST',
    headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ SecretId: ${JSON.stringify(secret)} }),
  }),
  await attempt('read secret (no-cors)', endpoint + '/?Action=GetSecretValue&SecretId=' + encodeURIComponent(${JSON.stringify(secret)}), {
    method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ SecretId: ${JSON.stringify(secret)} }),
  }),
  await attempt('read inventory (cors)', endpoint + '/_local/inventory', {}),
];
</script></body></html>`;
}

/** What the page saw of one attempt. */
interface AttackResult {
  readonly name: string;
  readonly sent: boolean;
  readonly type?: string;
  readonly status?: number;
  readonly body?: string;
}

/** One raw HTTP exchange (no browser): the status the AWS port answers. */
async function rawStatus(port: number, request: string): Promise<number | undefined> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.end(request);
  let text = '';
  for await (const chunk of socket) text += (chunk as Buffer).toString('latin1');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  return status === undefined ? undefined : Number(status);
}

beforeAll(async () => {
  ({ cloud, stop } = await startCloud({ timeScale: 0.001 }));
  const spec = specVersion(1);
  await cloud.deploy(spec, { rolloutId: rolloutIdFor(spec) });
  const registered = (await cloud.registration(SERVICE)).apiKeySecretId;
  if (registered === null) throw new Error('the service has no API key secret');
  secretId = registered;
  page = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(attackPage(cloud.endpoint, secretId));
  });
  page.listen(0, '127.0.0.1');
  await once(page, 'listening');
  const address = page.address();
  if (address === null || typeof address === 'string') throw new Error('no page port');
  pageUrl = `http://127.0.0.1:${address.port}/`;
  profile = mkdtempSync(join(tmpdir(), 'cross-site-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}, 180_000);

afterAll(async () => {
  await context.close();
  page.close();
  await stop();
  rmSync(profile, { recursive: true, force: true });
});

describe('a web page on another loopback port', () => {
  it('cannot reset the local cloud, plant faults or read secrets', async () => {
    const before = await cloud.inventory();
    const apiKey = await cloud.apiKey(SERVICE);
    const tab = context.pages()[0] ?? (await context.newPage());

    await tab.goto(pageUrl);
    const results = await tab.evaluate<AttackResult[]>('window.attack()');

    // Nothing changed: the service, its endpoint and its functions are all still there, no fault was added.
    expect(await cloud.inventory()).toEqual(before);
    expect((await cloud.faults()).faults).toEqual([]);
    const answer = await cloud.callApi(SERVICE, { inputs: 'still serving' });
    expect(answer.status).toBe(200);
    // No answer the page could read carries the key.
    expect(apiKey).not.toBeNull();
    for (const result of results) expect(JSON.stringify(result)).not.toContain(apiKey ?? '');
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName['read secret (cors)']).toMatchObject({ sent: false });
    expect(byName['read inventory (cors)']).toMatchObject({ sent: false });
    expect(byName['reset (no-cors)']).toMatchObject({ type: 'opaque' });
  }, 120_000);
});

describe('the AWS API port outside a browser', () => {
  function port(): number {
    return Number(new URL(cloud.endpoint).port);
  }

  it('refuses a foreign Host (DNS rebinding) with 421 before doing anything', async () => {
    const before = await cloud.inventory();
    const status = await rawStatus(
      port(),
      `POST /_local/reset HTTP/1.1\r\nHost: evil.example:${port()}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    expect(status).toBe(421);
    expect(await cloud.inventory()).toEqual(before);
  });

  it('refuses a cross-origin request with 403 even from a loopback name', async () => {
    const status = await rawStatus(
      port(),
      `GET /_local/health HTTP/1.1\r\nHost: localhost:${port()}\r\nOrigin: http://127.0.0.1:1\r\nConnection: close\r\n\r\n`,
    );
    expect(status).toBe(403);
  });

  it('refuses the admin API without the run token, and serves it with the token', async () => {
    const request = (token: string): string =>
      `GET /_local/inventory HTTP/1.1\r\nHost: 127.0.0.1:${port()}\r\n${token}Connection: close\r\n\r\n`;
    expect(await rawStatus(port(), request(''))).toBe(403);
    expect(await rawStatus(port(), request('x-local-admin-token: guessed\r\n'))).toBe(403);
    expect(await cloud.inventory()).toHaveProperty('functions');
  });

  it('answers Secrets Manager only to SigV4-shaped requests', async () => {
    const body = JSON.stringify({ SecretId: secretId });
    const request = (authorization: string): string =>
      `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port()}\r\nX-Amz-Target: secretsmanager.GetSecretValue\r\n` +
      `Content-Type: application/x-amz-json-1.1\r\n${authorization}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    expect(await rawStatus(port(), request(''))).toBe(403);
    expect(await rawStatus(port(), request('Authorization: Bearer x\r\n'))).toBe(400);
    expect(await cloud.apiKey(SERVICE)).toMatch(/\S/);
  });
});
