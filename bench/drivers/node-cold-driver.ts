import { readFileSync } from 'node:fs';
import { LAMBDA_CONTEXT } from './lambda-context';
import { printResultAndExit } from './result-line';

/**
 * Cold-start driver of the Node variants: one fresh process, one invocation, as a Lambda init plus
 * its first request. Usage: `node node-cold-driver.js <handler.js> <event.json>`. Loads the handler
 * module (its module scope is the init), calls `handler(event, context)` once and prints one line
 * `BENCH_RESULT {...}` when the answer is in. Compiled by bench/build-artifacts.ts; uses Node built-ins only.
 */

const [handlerFile, eventFile] = process.argv.slice(2);
if (handlerFile === undefined || eventFile === undefined) {
  throw new Error('usage: node-cold-driver <handler.js> <event.json>');
}
// process.uptime and hrtime, not perf_hooks: loading perf_hooks would add its own start-up cost.
const bootMs = process.uptime() * 1000;
const started = process.hrtime.bigint();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the file is only known at run time
const mod = require(handlerFile) as {
  handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body?: string }>;
};
const loaded = process.hrtime.bigint();
const event: unknown = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = LAMBDA_CONTEXT;
void mod.handler(event, context).then((result) => {
  const answered = process.hrtime.bigint();
  // The answer is what was timed; a Lambda would be frozen here, the driver just ends.
  printResultAndExit(process.stdout, {
    status: result.statusCode,
    bodyBytes: (result.body ?? '').length,
    bootMs,
    initMs: Number(loaded - started) / 1e6,
    invokeMs: Number(answered - loaded) / 1e6,
    maxRssKb: process.resourceUsage().maxRSS,
  });
});
