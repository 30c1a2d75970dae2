import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROXY_FUNCTION } from '../lambdas/catalog';
import { ROOT } from './build-artifacts';
import { runDriver } from './child-process';
import type { BenchContext } from './context';
import { predictEvent } from './proxy-event';
import { nodeProxyEnv, pythonProxyEnv } from './proxy-env';
import { bytes, ms, times, type BenchmarkResult } from './report';
import { alternate, median, ratio, summarize, type Summary } from './stats';

/** What a cold-start driver reports about its one invocation. */
interface ColdResult {
  readonly status: number;
  readonly bodyBytes: number;
  /** Loading the handler module (Lambda's init phase). */
  readonly initMs: number;
  /** The first invocation, init excluded. */
  readonly invokeMs: number;
  readonly maxRssKb: number;
}

/** The variants, in the order they alternate; the last three are references, not alternatives. */
const VARIANTS = ['bundled', 'python', 'unbundled', 'sdkFloor', 'nodeEmpty', 'pythonEmpty'] as const;
type Variant = (typeof VARIANTS)[number];

const LABELS: Readonly<Record<Variant, string>> = {
  bundled: 'ours: bundled proxy (esbuild, as deployed)',
  python: 'baseline: Python + boto3 (tutorial handler)',
  unbundled: 'ours unbundled (packages from node_modules)',
  sdkFloor: 'reference: the same call with an AWS SDK v3 client, bundled alike',
  nodeEmpty: 'reference: Node, empty handler',
  pythonEmpty: 'reference: Python, empty handler',
};

/** The body every cold request sends. */
const COLD_BODY = '{"inputs":"I love this product, it works great!"}';

/** Cold-start target: our proxy at most a third of the Python baseline's time. */
export const COLD_START_TARGET_RATIO = 1 / 3;

/**
 * Inference proxy, cold: a fresh process per sample, from spawn to the first answered request, for
 * the bundled proxy, the Python baseline and the unbundled proxy, alternating, all against one local
 * SageMaker Runtime endpoint.
 */
export async function benchProxyCold(ctx: BenchContext): Promise<BenchmarkResult> {
  const started = performance.now();
  const rounds = ctx.quick ? 3 : 15;
  const [drivers, bundles, unbundled, references, local] = await Promise.all([
    ctx.drivers(),
    ctx.bundles(),
    ctx.unbundledProxy(),
    ctx.referenceBundles(),
    ctx.endpoint(),
  ]);
  const python = ctx.python();
  const bundle = bundles.bundles.get(PROXY_FUNCTION.id);
  if (bundle === undefined) throw new Error('No proxy bundle was built.');

  // Text body: the tutorial handler json.loads(event['body']) cannot read a base64 body.
  const dir = mkdtempSync(join(tmpdir(), 'hf-rollout-bench-'));
  const eventFile = join(dir, 'cold-event.json');
  writeFileSync(eventFile, JSON.stringify(predictEvent(COLD_BODY, { encoding: 'text' })));

  const details = Object.fromEntries(VARIANTS.map((v) => [v, [] as ColdResult[]])) as Record<
    Variant,
    ColdResult[]
  >;
  const nodeHandlers: Readonly<Record<Exclude<Variant, 'python' | 'pythonEmpty'>, string>> = {
    bundled: bundle.file,
    unbundled,
    sdkFloor: references.sdkFloor,
    nodeEmpty: references.empty,
  };
  const sample = async (variant: Variant): Promise<number> => {
    const run =
      variant === 'python' || variant === 'pythonEmpty'
        ? await runDriver<ColdResult>(
            python.executable,
            [
              join(ROOT, 'bench', 'baselines', 'python_cold_driver.py'),
              eventFile,
              variant === 'python' ? 'python_proxy' : 'python_empty',
            ],
            // No .pyc written into the checkout; boto3's own .pyc files are read as usual.
            { env: { ...pythonProxyEnv(local), PYTHONDONTWRITEBYTECODE: '1' }, cwd: dir },
          )
        : await runDriver<ColdResult>(
            process.execPath,
            [drivers.nodeCold, nodeHandlers[variant], eventFile],
            {
              env: nodeProxyEnv(local),
              cwd: dir,
            },
          );
    if (run.result.status !== 200) {
      throw new Error(`${LABELS[variant]} answered ${run.result.status}, not 200`);
    }
    details[variant].push(run.result);
    return run.elapsedMs;
  };

  ctx.progress(`proxy-cold: ${rounds} rounds x ${VARIANTS.length} variants (+1 warm-up round)`);
  let samples: Record<Variant, number[]>;
  try {
    samples = await alternate(
      VARIANTS.map((name) => ({ name, run: () => sample(name) })),
      rounds,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The warm-up round's details are dropped too.
  for (const v of VARIANTS) details[v] = details[v].slice(-rounds);

  const summaries = Object.fromEntries(VARIANTS.map((v) => [v, summarize(samples[v])])) as Record<
    Variant,
    Summary
  >;
  const pythonMedian = summaries.python.median;
  const ours = ratio(summaries.bundled.median, pythonMedian);
  const rows = VARIANTS.map((v) => [
    LABELS[v],
    ms(summaries[v].median),
    ms(summaries[v].p99),
    ms(summaries[v].min),
    String(summaries[v].n),
    times(ratio(summaries[v].median, pythonMedian)),
    ms(median(details[v].map((d) => d.initMs))),
    ms(median(details[v].map((d) => d.invokeMs))),
    bytes(median(details[v].map((d) => d.maxRssKb)) * 1024),
  ]);

  return {
    name: 'proxy-cold',
    title: 'Inference proxy, cold start',
    durationMs: performance.now() - started,
    tables: [
      {
        title: 'Inference proxy, cold: process start to first answered request (fresh process per sample)',
        head: [
          'variant',
          'median',
          'p99',
          'min',
          'n',
          'vs Python',
          'init (in process)',
          'first invoke',
          'max RSS',
        ],
        rows,
        notes: [
          `Alternated the ${VARIANTS.length} variants for ${rounds} rounds after 1 discarded round; one local SageMaker Runtime endpoint (${local.endpointName}) behind every one that calls it.`,
          "The references bound what any variant can reach: Node or Python start-up alone, and the same InvokeEndpoint made with an AWS SDK v3 client (bench/baselines/sdk-floor-handler.ts: a module-scope client and one call, no checks), bundled with the same BUNDLING. Our proxy makes its call with the SDK's SigV4 signer and node:https (lambdas/shared/aws-http.ts), not an SDK client.",
          `Node ${process.versions.node} (${process.execPath}); Python ${python.version} + boto3 ${python.boto3} (${python.executable}, not the pyenv shim).`,
          'init = loading the handler module (imports, module-scope clients); first invoke = the first request after init; the rest is interpreter start-up.',
          `Proxy bundle ${bytes(bundle.bytes)}, environment as deployed (PROXY_FUNCTION.environment + ENDPOINT_NAME), no NODE_OPTIONS; the SDK's Node 20 deprecation warning is switched off (Lambda runs nodejs22.x, where it is never emitted).`,
        ],
      },
    ],
    targets: [
      {
        target: 'proxy cold start <= 1/3 of the Python baseline',
        measured: `${ms(summaries.bundled.median)} vs ${ms(pythonMedian)} (${times(ours)})`,
        met: ours <= COLD_START_TARGET_RATIO,
        ratioToLimit: ours / COLD_START_TARGET_RATIO,
        note:
          `1/3 of Python is ${ms(pythonMedian * COLD_START_TARGET_RATIO)} here. What bounds it: Node start-up alone is ${times(ratio(summaries.nodeEmpty.median, pythonMedian))} of Python; ` +
          `our proxy adds ${ms(summaries.bundled.median - summaries.nodeEmpty.median)} to that. The same call through an AWS SDK v3 client takes ${times(ratio(summaries.sdkFloor.median, pythonMedian))} of Python, ` +
          'which is why the proxy signs its one request itself (lambdas/shared/aws-http.ts).',
      },
    ],
    data: { rounds, summaries, samples, details, python, bundleBytes: bundle.bytes },
  };
}
