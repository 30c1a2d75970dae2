import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { chromium, type BrowserContext } from 'playwright-core';
import { installNode20Polyfills, LocalCloud } from '../local/cloud';
import { startConsole, type ConsoleServer } from '../pipeline/console/server';
import { newRolloutId, rolloutStateMachineName } from '../pipeline/names';
import { resolveTarget, type Target } from '../pipeline/target';
import type { BenchContext } from './context';
import { ms, type BenchmarkResult } from './report';

/**
 * Console page load with a long history: `npx tsx bench/console-load.ts [--rollouts N] [--loads N]`, or
 * `runConsoleLoadBenchmark()` from a runner. Seeds a local cloud with real rollout executions, then
 * loads the console in Debian's chromium (playwright-core) and times navigation start → the history
 * table rendered (the page's `console:history-rendered` performance mark), with a fresh console (empty
 * cache: every row described) and a warm one, plus the console API's own times. Timings are reported,
 * never asserted: the 1 s target is checked here, not in a test.
 *
 * Seeding (all real executions of the real rollout state machine, several services at once, timeScale
 * 0.0001): one in five is a full rollout (four in five of those succeed; the fifth fails at Check
 * Endpoint and rolls back, by a declared fault), the others are rollouts whose spec has a typo and fail
 * at Validate Spec in one Lambda call. So a page of history is mostly FAILED rows, which cost the console
 * one more call each than SUCCEEDED ones: the harder case.
 */

/** Options of the benchmark. */
export interface ConsoleLoadOptions {
  /** Executions in history. @default 500 */
  readonly rollouts?: number;
  /**
   * Services the history is spread over, seeded in parallel. Each concurrent rollout warms its own
   * Lambda execution environments (about 1 s of CPU each, 15 functions), so more than the machine's
   * cores only adds cold starts. @default 2
   */
  readonly services?: number;
  /** Page loads per measurement. @default 7 */
  readonly loads?: number;
  /** Requests per console API measurement. @default 15 */
  readonly apiSamples?: number;
  /** Local cloud time scale while seeding. @default 0.0001 */
  readonly timeScale?: number;
  /** @default '/usr/bin/chromium' */
  readonly chromiumPath?: string;
  /** Progress lines. @default to stderr */
  readonly progress?: (line: string) => void;
}

/** One measured figure. */
export interface ConsoleLoadRow {
  readonly metric: string;
  readonly median: number;
  readonly samples: number;
  readonly unit: 'ms' | 'KB' | 'calls';
}

/** What the benchmark measured. */
export interface ConsoleLoadResult {
  readonly name: 'console-load';
  readonly rows: readonly ConsoleLoadRow[];
  readonly target: { readonly description: string; readonly met: boolean };
  /** What was in history, and how long seeding it took. */
  readonly history: {
    readonly executions: number;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly services: number;
    readonly seedingMs: number;
  };
  readonly notes: readonly string[];
}

/** The page's mark (pipeline/console/web/overview.tsx HISTORY_RENDERED_MARK). */
const RENDERED_MARK = 'console:history-rendered';
const TARGET_MS = 1000;
const SERVICE_NAMES = ['sentiment', 'reviews', 'support', 'search', 'tickets', 'emails', 'chat', 'intent'];
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Runs the benchmark; see the file's comment. */
export async function runConsoleLoadBenchmark(options: ConsoleLoadOptions = {}): Promise<ConsoleLoadResult> {
  const rollouts = options.rollouts ?? 500;
  const serviceCount = Math.min(options.services ?? 2, SERVICE_NAMES.length);
  const loads = options.loads ?? 7;
  const apiSamples = options.apiSamples ?? 15;
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const services = SERVICE_NAMES.slice(0, serviceCount);
  installNode20Polyfills();

  const cloud = await LocalCloud.start({
    dataDir: null,
    port: 0,
    edgePort: 0,
    timeScale: options.timeScale ?? 0.0001,
    services,
  });
  let target: Target | undefined;
  let context: BrowserContext | undefined;
  const profile = mkdtempSync(join(tmpdir(), 'console-load-chromium-'));
  try {
    const seedingStarted = performance.now();
    const byStatus = await seed(cloud, services, rollouts, progress);
    const seedingMs = performance.now() - seedingStarted;
    target = await resolveTarget({ endpoint: cloud.endpoint });
    const executions = await countExecutions(target);
    progress(
      `history: ${executions} executions (${JSON.stringify(byStatus)}) seeded in ${Math.round(seedingMs / 1000)} s`,
    );

    context = await chromium.launchPersistentContext(profile, {
      executablePath: options.chromiumPath ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const browser = context;
    const loadPage = async (url: string): Promise<{ renderedMs: number; rows: number }> => {
      const page = await browser.newPage();
      try {
        await page.goto(url);
        await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, RENDERED_MARK, {
          timeout: 30_000,
        });
        return await page.evaluate((mark) => {
          const entry = performance.getEntriesByName(mark)[0];
          return {
            renderedMs: entry?.startTime ?? Number.NaN,
            rows: document.querySelectorAll('[data-testid="rollout-row"]').length,
          };
        }, RENDERED_MARK);
      } finally {
        await page.close();
      }
    };

    // A fresh console per load: nothing cached, every row of the first page is described.
    progress(`page loads with a fresh console (${loads})`);
    const cold: number[] = [];
    const coldCalls: number[] = [];
    let rowsShown = 0;
    for (let i = 0; i < loads; i++) {
      const web = await startConsole(target, { port: 0 });
      try {
        const { renderedMs, rows } = await loadPage(web.url);
        cold.push(renderedMs);
        coldCalls.push(web.cacheStats().misses);
        rowsShown = rows;
      } finally {
        await web.close();
      }
    }

    // One console, loaded again and again: what a person reloading the page sees.
    progress(`page loads with a warm console (${loads})`);
    const web = await startConsole(target, { port: 0 });
    const warm: number[] = [];
    const api: Record<string, number[]> = {};
    let pageKb = 0;
    try {
      await loadPage(web.url);
      for (let i = 0; i < loads; i++) warm.push((await loadPage(web.url)).renderedMs);

      progress(`console API (${apiSamples} requests each)`);
      const failed = await firstRolloutId(web, 'FAILED');
      const paths: Record<string, string> = {
        'GET /api/rollouts (first page)': '/api/rollouts',
        'GET /api/rollouts?status=SUCCEEDED': '/api/rollouts?status=SUCCEEDED',
        [`GET /api/rollouts?service=${services[services.length - 1] ?? ''}`]: `/api/rollouts?service=${services[services.length - 1] ?? ''}`,
        'GET /api/services': '/api/services',
        [`GET /api/health/${services[0] ?? ''}`]: `/api/health/${services[0] ?? ''}?minutes=60`,
        'GET /api/rollouts/<failed rollout>': `/api/rollouts/${failed}`,
      };
      for (const [metric, path] of Object.entries(paths)) {
        const samples: number[] = [];
        for (let i = 0; i < apiSamples; i++) {
          const started = performance.now();
          const res = await fetch(`${web.url}${path}`);
          const body = await res.text();
          if (!res.ok) throw new Error(`${path} answered ${res.status}: ${body.slice(0, 200)}`);
          samples.push(performance.now() - started);
          if (path === '/api/rollouts') pageKb = Buffer.byteLength(body) / 1024;
        }
        api[metric] = samples;
      }
    } finally {
      await web.close();
    }

    const coldMedian = median(cold);
    const warmMedian = median(warm);
    const rows: ConsoleLoadRow[] = [
      {
        metric: 'page load → history rendered, fresh console',
        median: coldMedian,
        samples: cold.length,
        unit: 'ms',
      },
      {
        metric: 'page load → history rendered, warm console',
        median: warmMedian,
        samples: warm.length,
        unit: 'ms',
      },
      {
        metric: 'Step Functions calls for the first page, fresh console',
        median: median(coldCalls),
        samples: coldCalls.length,
        unit: 'calls',
      },
      ...Object.entries(api).map(([metric, samples]) => ({
        metric: `${metric}, warm console`,
        median: median(samples),
        samples: samples.length,
        unit: 'ms' as const,
      })),
      { metric: 'GET /api/rollouts (first page) size', median: pageKb, samples: 1, unit: 'KB' },
    ];
    return {
      name: 'console-load',
      rows,
      target: {
        description: `console page loads (navigation start → history table rendered) in under ${TARGET_MS} ms with ${executions} rollouts in history, fresh and warm console`,
        met: executions >= rollouts && coldMedian < TARGET_MS && warmMedian < TARGET_MS,
      },
      history: { executions, byStatus, services: services.length, seedingMs },
      notes: [
        `first page shows ${rowsShown} rows; Chromium headless on loopback, local cloud in this process`,
        'fresh console: a new console server (empty cache of ended executions) for each load',
        'seeding: 1 in 5 executions a full rollout (4 of 5 SUCCEEDED, 1 FAILED at Check Endpoint), the rest FAILED at Validate Spec (spec typo)',
      ],
    };
  } finally {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    await target?.close();
    await cloud.stop();
  }
}

/**
 * Seeds `total` executions over `services`, each service's executions in sequence and the services in
 * parallel. Returns how many ended in each status.
 */
async function seed(
  cloud: LocalCloud,
  services: readonly string[],
  total: number,
  progress: (line: string) => void,
): Promise<Record<string, number>> {
  const sfn = new SFNClient({
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const stateMachineArn = `arn:aws:states:us-east-1:000000000000:stateMachine:${rolloutStateMachineName('hf-rollout')}`;
  const example = JSON.parse(readFileSync(join(__dirname, '..', 'examples', 'sentiment.json'), 'utf8')) as {
    model: Record<string, unknown> & { id: string };
  };
  const byStatus: Record<string, number> = {};
  let done = 0;
  const run = async (service: string, slot: number): Promise<void> => {
    const full = slot % 5 === 0;
    const spec = {
      ...example,
      service,
      // A typo the spec validator names ($.model.task): the execution fails in Validate Spec.
      model: full ? example.model : { ...example.model, task: 'text-clasification' },
    };
    const name = newRolloutId(service, example.model.id);
    if (full && (slot / 5) % 5 === 4) {
      cloud.faults.add({
        operation: 'SageMaker.EndpointLifecycle',
        match: { EndpointName: name },
        count: 1,
        outcome: {
          endpointStatus: 'Failed',
          failureReason: 'CUDA out of memory (declared by the benchmark)',
        },
      });
    }
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name,
        input: JSON.stringify({ spec, requestedBy: 'bench' }),
      }),
    );
    for (;;) {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      if (out.status !== 'RUNNING') {
        const status = out.status ?? 'UNKNOWN';
        byStatus[status] = (byStatus[status] ?? 0) + 1;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    done += 1;
    if (done % 50 === 0) progress(`  seeded ${done}/${total}`);
  };
  try {
    await Promise.all(
      services.map(async (service, i) => {
        const mine = Math.floor(total / services.length) + (i < total % services.length ? 1 : 0);
        for (let slot = 0; slot < mine; slot++) await run(service, slot);
      }),
    );
  } finally {
    sfn.destroy();
  }
  return byStatus;
}

async function countExecutions(target: Target): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await target.clients.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: target.rolloutStateMachineArn,
        maxResults: 1000,
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
    count += page.executions?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return count;
}

async function firstRolloutId(web: ConsoleServer, status: string): Promise<string> {
  const res = await fetch(`${web.url}/api/rollouts?status=${status}`);
  const page = (await res.json()) as { rollouts: { rolloutId: string }[] };
  const id = page.rollouts[0]?.rolloutId;
  if (id === undefined) throw new Error(`No ${status} rollout in history`);
  return id;
}

function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

function parseArgs(argv: readonly string[]): ConsoleLoadOptions {
  const options: { rollouts?: number; loads?: number; services?: number } = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = Number(argv[i + 1]);
    if (
      (arg === '--rollouts' || arg === '--loads' || arg === '--services') &&
      Number.isInteger(value) &&
      value > 0
    ) {
      options[arg.slice(2) as 'rollouts' | 'loads' | 'services'] = value;
      i += 1;
    } else {
      throw new Error(`Unknown argument ${arg ?? ''}; use --rollouts N, --loads N or --services N.`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  // As the CLI does: Node 20 works; the SDK's deprecation warning would only clutter the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const result = await runConsoleLoadBenchmark(parseArgs(process.argv.slice(2)));
  const width = Math.max(...result.rows.map((r) => r.metric.length));
  process.stdout.write(`Console load with ${result.history.executions} rollouts in history\n`);
  for (const r of result.rows) {
    const value =
      r.unit === 'ms'
        ? `${r.median.toFixed(1)} ms`
        : `${r.median.toFixed(r.unit === 'KB' ? 1 : 0)} ${r.unit}`;
    process.stdout.write(`  ${r.metric.padEnd(width)}  ${value.padStart(10)}  (n=${r.samples})\n`);
  }
  for (const note of result.notes) process.stdout.write(`  - ${note}\n`);
  process.stdout.write(`Target: ${result.target.description}: ${result.target.met ? 'met' : 'MISSED'}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

/**
 * The benchmark as `npm run bench` runs it: 500 rollouts (100 with --quick), results as tables and a
 * target like the other benchmarks.
 */
export async function benchConsoleLoad(ctx: BenchContext): Promise<BenchmarkResult> {
  const started = performance.now();
  const result = await runConsoleLoadBenchmark({
    rollouts: ctx.quick ? 100 : 500,
    loads: ctx.quick ? 3 : 7,
    apiSamples: ctx.quick ? 5 : 15,
    progress: ctx.progress,
  });
  const fresh = result.rows.find((r) => r.metric.startsWith('page load') && r.metric.includes('fresh'));
  const format = (row: ConsoleLoadRow): string =>
    row.unit === 'ms'
      ? ms(row.median)
      : row.unit === 'KB'
        ? `${row.median.toFixed(1)} KB`
        : String(row.median);
  return {
    name: 'console-load',
    title: 'Console page load with a long history',
    durationMs: performance.now() - started,
    tables: [
      {
        title: `Console: page load and API times with ${result.history.executions} rollouts in history`,
        head: ['metric', 'median', 'n'],
        rows: result.rows.map((r) => [r.metric, format(r), String(r.samples)]),
        notes: [
          `History: ${Object.entries(result.history.byStatus)
            .map(([status, n]) => `${n} ${status}`)
            .join(
              ', ',
            )} over ${result.history.services} services, seeded in ${ms(result.history.seedingMs)} by real executions.`,
          ...result.notes,
        ],
      },
    ],
    targets: [
      {
        target: `console page loads in under ${TARGET_MS} ms with ${result.history.executions} rollouts`,
        measured:
          fresh === undefined
            ? 'not measured'
            : `${ms(fresh.median)} (fresh console, median of ${fresh.samples})`,
        met: result.target.met,
        ratioToLimit: fresh === undefined ? Number.NaN : fresh.median / TARGET_MS,
      },
    ],
    data: result,
  };
}
