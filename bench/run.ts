import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installNode20Polyfills } from '../local/cloud';
import { ROOT } from './build-artifacts';
import { createContext, type BenchContext } from './context';
import { machineInfo } from './machine';
import { benchBundles } from './bundles';
import { benchConsoleLoad } from './console-load';
import { benchCostModel } from './cost-model';
import { benchProxyCold } from './proxy-cold';
import { benchProxyWarm } from './proxy-warm';
import { benchRolloutOverhead } from './rollout-overhead';
import {
  markdownTable,
  renderTable,
  times,
  type BenchmarkResult,
  type ResultTable,
  type TargetCheck,
} from './report';

/**
 * `npm run bench [-- --quick] [-- --only <name>[,<name>]]`: runs the benchmarks on this machine, each
 * with its baseline in the same run, prints one table per benchmark and a summary of the targets, and
 * writes bench/results/<timestamp>.json and bench/results/latest.json. Timings never fail the run.
 */

/** A benchmark and the ones whose results it needs. */
interface Benchmark {
  readonly name: string;
  readonly needs: readonly string[];
  readonly run: (ctx: BenchContext) => Promise<BenchmarkResult>;
}

/** Every benchmark, in run order. */
export const BENCHMARKS: readonly Benchmark[] = [
  { name: 'proxy-cold', needs: [], run: benchProxyCold },
  { name: 'proxy-warm', needs: [], run: benchProxyWarm },
  { name: 'bundles', needs: [], run: benchBundles },
  { name: 'rollout-overhead', needs: [], run: benchRolloutOverhead },
  { name: 'cost-model', needs: ['rollout-overhead'], run: benchCostModel },
  { name: 'console-load', needs: [], run: benchConsoleLoad },
];

interface Args {
  readonly quick: boolean;
  readonly only: readonly string[] | null;
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let only: string[] | null = null;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only' || arg?.startsWith('--only=') === true) {
      const value = arg === '--only' ? argv[(i += 1)] : arg.slice('--only='.length);
      if (value === undefined || value === '') throw new Error('--only needs a benchmark name');
      only = [...(only ?? []), ...value.split(',')];
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        `Usage: npm run bench [-- --quick] [-- --only <name>[,<name>...]]\nBenchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`,
      );
      process.exit(0);
    } else {
      throw new Error(`Unknown argument ${arg ?? ''}; use --quick, --only <name> or --help.`);
    }
  }
  const unknown = (only ?? []).filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
    );
  }
  return { quick, only };
}

/** The benchmarks to run: the ones asked for and the ones they need, in run order. */
function selection(only: readonly string[] | null): Benchmark[] {
  if (only === null) return [...BENCHMARKS];
  const wanted = new Set<string>();
  const add = (name: string): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const need of BENCHMARKS.find((b) => b.name === name)?.needs ?? []) add(need);
  };
  only.forEach(add);
  return BENCHMARKS.filter((b) => wanted.has(b.name));
}

function summaryTable(targets: readonly TargetCheck[]): ResultTable {
  return {
    title: 'Targets',
    head: ['target', 'measured', 'met', 'measured / limit'],
    rows: targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'MISSED', times(t.ratioToLimit)]),
    notes: targets.filter((t) => t.note !== undefined).map((t) => `${t.target}: ${t.note ?? ''}`),
  };
}

/** The run as Markdown (bench/results/latest.md), the source of bench/RESULTS.md. */
function markdownReport(
  results: ReadonlyMap<string, BenchmarkResult>,
  targets: readonly TargetCheck[],
  header: readonly string[],
): string {
  const sections = [...results.values()].map(
    (r) => `## ${r.title}\n\n${r.tables.map((t) => markdownTable(t)).join('\n\n')}`,
  );
  const summary = targets.length > 0 ? [`## Targets\n\n${markdownTable(summaryTable(targets), false)}`] : [];
  return `${[header.join('\n'), ...summary, ...sections].join('\n\n')}\n`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // As the CLI does: Node 20 works; the SDK's deprecation warning would only clutter the tables.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  installNode20Polyfills();
  const started = performance.now();
  const startedAt = new Date();
  const results = new Map<string, BenchmarkResult>();
  const ctx = createContext({ quick: args.quick, results });
  const machine = machineInfo();
  process.stdout.write(
    `Benchmarks on ${machine.cpuModel} x ${machine.cpus}, ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}${args.quick ? ' (--quick)' : ''}\n\n`,
  );
  const failures: { name: string; error: string }[] = [];
  try {
    for (const benchmark of selection(args.only)) {
      process.stderr.write(`▶ ${benchmark.name}\n`);
      try {
        const result = await benchmark.run(ctx);
        results.set(benchmark.name, result);
        for (const table of result.tables) process.stdout.write(`${renderTable(table)}\n\n`);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        failures.push({ name: benchmark.name, error: message });
        process.stderr.write(`✖ ${benchmark.name} could not run: ${message}\n`);
      }
    }
  } finally {
    await ctx.close();
  }
  const targets = [...results.values()].flatMap((r) => r.targets);
  if (targets.length > 0) process.stdout.write(`${renderTable(summaryTable(targets))}\n\n`);
  const elapsedMs = performance.now() - started;
  let python = 'not found';
  try {
    const info = ctx.python();
    python = `Python ${info.version}, boto3 ${info.boto3}`;
  } catch {
    // Only the Python baseline needs it; its benchmark has said why it could not run.
  }
  const report = {
    startedAt: startedAt.toISOString(),
    elapsedMs,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick: args.quick,
    machine: { ...machine, python },
    benchmarks: Object.fromEntries(results),
    targets,
    failures,
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(dir, 'latest.json'), text);
  writeFileSync(
    join(dir, 'latest.md'),
    markdownReport(results, targets, [
      `Command: \`${report.command}\`, ${startedAt.toISOString()}, wall time ${(elapsedMs / 1000).toFixed(0)} s.`,
      '',
      `Machine: ${machine.cpuModel} x ${machine.cpus} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, ${python}; load average (1/5/15 min) at start ${machine.loadAverage.join(' / ')}, at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}; checkout ${machine.git ?? 'unknown'}.`,
    ]),
  );
  process.stdout.write(
    `Elapsed ${(elapsedMs / 1000).toFixed(1)} s. Results: ${file} (and bench/results/latest.json)\n`,
  );
  // Benchmarks are not tests: only a harness failure (a benchmark that could not run) fails the command.
  if (failures.length > 0) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  })
  // A benchmark that failed half-way may leave a socket or timer behind; the results are written. Exit
  // once stdout has taken the summary (an exit right after a write can cut it short on a pipe).
  .finally(() => process.stdout.write('', () => process.exit()));
