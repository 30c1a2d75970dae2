import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { printResultAndExit } from './result-line';

/**
 * Closed-loop load generator: `concurrency` clients, each sending its next request as soon as the
 * previous one is answered, for `durationMs`, over keep-alive connections. Usage:
 * `node load-client.js <config.json>`, config `{url, headers, body, concurrency, durationMs, warmupMs}`.
 * Only answers that arrive inside the measured window (after the warm-up) are counted. Prints `BENCH_RESULT {...}`: requests per
 * second, latency samples in ms, status counts and the process's memory.
 */

interface LoadConfig {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

const configFile = process.argv[2];
if (configFile === undefined) throw new Error('usage: load-client <config.json>');
const config = JSON.parse(readFileSync(configFile, 'utf8')) as LoadConfig;
const agent = new Agent({ keepAlive: true, maxSockets: config.concurrency });
const url = new URL(config.url);
const body = Buffer.from(config.body, 'utf8');

function send(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...config.headers, 'content-length': String(body.length) },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const start = Date.now();
  const measureFrom = start + config.warmupMs;
  const end = measureFrom + config.durationMs;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const client = async (): Promise<void> => {
    while (Date.now() < end) {
      const sent = process.hrtime.bigint();
      try {
        const status = await send();
        const now = Date.now();
        if (now >= measureFrom && now <= end) {
          latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, () => client()));
  const ok = statuses['200'] ?? 0;
  agent.destroy();
  printResultAndExit(process.stdout, {
    requests: latencies.length,
    ok,
    rps: ok / (config.durationMs / 1000),
    statuses,
    errors,
    latencies,
    rssKb: Math.round(process.memoryUsage().rss / 1024),
  });
}

void main();
