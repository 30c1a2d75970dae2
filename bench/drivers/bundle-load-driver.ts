import { printResultAndExit } from './result-line';

/**
 * Load-time driver: one fresh process that loads one bundle (its module scope runs, as in a Lambda
 * init) and prints `BENCH_RESULT {...}` with the time `require` took, Node's own start-up before it,
 * and the process's memory. Usage: `node bundle-load-driver.js <bundle.js>`. Node built-ins only.
 */

const bundleFile = process.argv[2];
if (bundleFile === undefined) throw new Error('usage: bundle-load-driver <bundle.js>');
const bootMs = process.uptime() * 1000;
const started = process.hrtime.bigint();
let error: string | null = null;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the file is only known at run time
  const mod = require(bundleFile) as { handler?: unknown };
  if (typeof mod.handler !== 'function') error = 'no handler export';
} catch (caught) {
  error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
}
const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
printResultAndExit(process.stdout, {
  loadMs,
  bootMs,
  error,
  rssKb: Math.round(process.memoryUsage().rss / 1024),
});
