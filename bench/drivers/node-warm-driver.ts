import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { invokeEndpoint } from '../../lambdas/proxy/aws';
import { LAMBDA_CONTEXT } from './lambda-context';
import { printResultAndExit } from './result-line';

/**
 * Warm-overhead driver of the Node proxy: one process, many invocations. Usage:
 * `node node-warm-driver.js <config.json>`, config `{handlerFile, endpointName, iterations, warmup,
 * events: {<label>: event}}`. For each label it alternates the handler (a warm `handler(event, context)`)
 * and the bare InvokeEndpoint call the handler makes (lambdas/proxy/aws.ts: the same signed request,
 * same body, same endpoint), swapping which goes first every iteration, and prints one line `BENCH_RESULT {...}` on stderr
 * with the latencies in milliseconds and the process's memory. With `isolatedIterations`, it also times
 * the handler's own code alone: a handler made by the bundle's `createHandler` with an InvokeEndpoint
 * that answers at once (no I/O, so little noise), the proxy's CPU work per request.
 */

interface WarmConfig {
  readonly handlerFile: string;
  readonly endpointName: string;
  readonly iterations: number;
  readonly warmup: number;
  readonly isolatedIterations?: number;
  readonly events: Readonly<Record<string, { body: string; isBase64Encoded: boolean }>>;
}

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body?: string }>;

/** The InvokeEndpoint answer of the isolated handler. */
const INSTANT_ANSWER = {
  body: Buffer.from('[{"label":"POSITIVE","score":0.9998}]'),
  contentType: 'application/json',
  invokedProductionVariant: 'AllTraffic',
  customAttributes: undefined,
};

const configFile = process.argv[2];
if (configFile === undefined) throw new Error('usage: node-warm-driver <config.json>');
const config = JSON.parse(readFileSync(configFile, 'utf8')) as WarmConfig;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the file is only known at run time
const { handler, createHandler } = require(config.handlerFile) as {
  handler: Handler;
  createHandler?: (overrides: { invokeEndpoint: () => Promise<typeof INSTANT_ANSWER> }) => Handler;
};
const context = LAMBDA_CONTEXT;

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await call();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  for (const [label, event] of Object.entries(config.events)) {
    const body = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    const viaHandler = async (): Promise<void> => {
      const result = await handler(event, context);
      if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
    };
    const bare = async (): Promise<void> => {
      const answer = await invokeEndpoint({
        endpointName: config.endpointName,
        body,
        contentType: 'application/json',
        accept: 'application/json',
        customAttributes: undefined,
        abortSignal: AbortSignal.timeout(29_000),
      });
      Buffer.from(answer.body).toString('utf8');
    };
    const handlerMs: number[] = [];
    const bareMs: number[] = [];
    for (let i = 0; i < config.warmup + config.iterations; i += 1) {
      let h: number;
      let b: number;
      if (i % 2 === 0) {
        h = await timed(viaHandler);
        b = await timed(bare);
      } else {
        b = await timed(bare);
        h = await timed(viaHandler);
      }
      if (i >= config.warmup) {
        handlerMs.push(h);
        bareMs.push(b);
      }
    }
    const isolatedMs: number[] = [];
    const isolatedIterations = config.isolatedIterations ?? 0;
    if (isolatedIterations > 0 && createHandler !== undefined) {
      const isolated = createHandler({ invokeEndpoint: () => Promise.resolve(INSTANT_ANSWER) });
      for (let i = 0; i < config.warmup * 10 + isolatedIterations; i += 1) {
        const ms = await timed(() => isolated(event, context));
        if (i >= config.warmup * 10) isolatedMs.push(ms);
      }
    }
    out[label] = { handler: handlerMs, bare: bareMs, isolated: isolatedMs };
  }
  out.rssKb = Math.round(process.memoryUsage().rss / 1024);
  out.maxRssKb = process.resourceUsage().maxRSS;
  // On stderr: stdout carries the handler's logs (the benchmark sends them to /dev/null).
  printResultAndExit(process.stderr, out);
}

void main();
