import { readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { PROXY_FUNCTION, STEP_FUNCTIONS, type CatalogContext } from '../lambdas/catalog';
import {
  DEFAULT_PREFIX,
  lockTableName,
  notificationTopicName,
  rolloutStateMachineName,
} from '../pipeline/names';
import { cleanEnv, runDriver } from './child-process';
import type { BenchContext } from './context';
import { BENCH_SERVICE } from './proxy-env';
import { bytes, ms, times, type BenchmarkResult } from './report';
import { alternate, median, ratio } from './stats';

/** What the load driver prints. */
interface LoadResult {
  readonly loadMs: number;
  readonly bootMs: number;
  readonly error: string | null;
  readonly rssKb: number;
}

const ENABLE_SOURCE_MAPS = '--enable-source-maps';

const CATALOG_CONTEXT: CatalogContext = {
  prefix: DEFAULT_PREFIX,
  lockTableName: lockTableName(DEFAULT_PREFIX),
  notificationTopicArn: `arn:aws:sns:us-east-1:000000000000:${notificationTopicName(DEFAULT_PREFIX)}`,
  rolloutStateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${rolloutStateMachineName(DEFAULT_PREFIX)}`,
};

/** A function's environment as the catalog gives it (what its module scope may read at load). */
function catalogEnvironment(id: string): Readonly<Record<string, string>> {
  if (id === PROXY_FUNCTION.id) {
    return PROXY_FUNCTION.environment({
      prefix: DEFAULT_PREFIX,
      service: BENCH_SERVICE,
      originVerifySecret: null,
    });
  }
  const spec = STEP_FUNCTIONS.find((f) => f.id === id);
  if (spec === undefined) throw new Error(`No catalog function ${id}`);
  return spec.environment(CATALOG_CONTEXT);
}

/**
 * Bundles: the size of every Lambda bundle (and of its source map and the two gzipped, about what the
 * deployment zip holds), and the time to load it in a fresh process, with and without
 * `--enable-source-maps`, alternating; the function's configured NODE_OPTIONS says which one it pays.
 */
export async function benchBundles(ctx: BenchContext): Promise<BenchmarkResult> {
  const started = performance.now();
  const rounds = ctx.quick ? 1 : 3;
  const [drivers, built, references] = await Promise.all([
    ctx.drivers(),
    ctx.bundles(),
    ctx.referenceBundles(),
  ]);
  const ids = [...built.bundles.keys()].sort();
  const files: Record<string, string> = { '(empty handler)': references.empty };
  for (const id of ids) files[id] = built.bundles.get(id)?.file ?? '';

  const runs: Record<string, LoadResult[]> = {};
  const variants = Object.entries(files).flatMap(([id, file]) =>
    [false, true].map((maps) => ({
      name: `${id}${maps ? ' +maps' : ''}`,
      run: async (): Promise<number> => {
        const env = cleanEnv({
          ...(id.startsWith('(') ? {} : catalogEnvironment(id)),
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        });
        delete env.NODE_OPTIONS;
        if (maps) env.NODE_OPTIONS = ENABLE_SOURCE_MAPS;
        const out = await runDriver<LoadResult>(process.execPath, [drivers.bundleLoad, file], { env });
        if (out.result.error !== null)
          throw new Error(`Loading the ${id} bundle failed: ${out.result.error}`);
        (runs[`${id}${maps ? ' +maps' : ''}`] ??= []).push(out.result);
        return out.result.loadMs;
      },
    })),
  );
  ctx.progress(`bundles: ${variants.length} variants x ${rounds} rounds (+1 warm-up round)`);
  const samples = await alternate(variants, rounds);

  const rows = Object.entries(files).map(([id, file]) => {
    const js = readFileSync(file);
    const mapFile = `${file}.map`;
    const map = id.startsWith('(') ? Buffer.alloc(0) : readFileSync(mapFile);
    const configured = id.startsWith('(') ? '' : (catalogEnvironment(id).NODE_OPTIONS ?? '');
    const plain = median(samples[id] ?? []);
    const withMaps = median(samples[`${id} +maps`] ?? []);
    const asConfigured = configured.includes(ENABLE_SOURCE_MAPS) ? withMaps : plain;
    return {
      id,
      jsBytes: statSync(file).size,
      mapBytes: map.length,
      gzipBytes: gzipSync(js).length + (map.length > 0 ? gzipSync(map).length : 0),
      loadMs: plain,
      loadWithMapsMs: withMaps,
      configuredNodeOptions: configured,
      asConfiguredMs: asConfigured,
      n: (samples[id] ?? []).length,
    };
  });
  const total = (pick: (r: (typeof rows)[number]) => number): number =>
    rows.filter((r) => !r.id.startsWith('(')).reduce((sum, r) => sum + pick(r), 0);
  return {
    name: 'bundles',
    title: 'Bundles',
    durationMs: performance.now() - started,
    tables: [
      {
        title: 'Bundles: size and time to load (fresh process per sample, module scope included)',
        head: [
          'bundle',
          'index.js',
          '.map',
          'gzip js+map',
          'load',
          'load +maps',
          '+maps / plain',
          'as configured',
          'n',
        ],
        rows: rows.map((r) => [
          r.id,
          bytes(r.jsBytes),
          r.mapBytes === 0 ? '-' : bytes(r.mapBytes),
          bytes(r.gzipBytes),
          ms(r.loadMs),
          ms(r.loadWithMapsMs),
          times(ratio(r.loadWithMapsMs, r.loadMs)),
          r.id.startsWith('(')
            ? '-'
            : `${ms(r.asConfiguredMs)}${r.configuredNodeOptions === '' ? '' : ' (maps)'}`,
          String(r.n),
        ]),
        notes: [
          `${ids.length} catalog bundles, built with lambdas/catalog.ts BUNDLING through local/services/lambda/bundle.ts (minified CJS, AWS SDK inside, source map beside); totals: ${bytes(total((r) => r.jsBytes))} of JavaScript, ${bytes(total((r) => r.gzipBytes))} gzipped with maps.`,
          `load = require() of the bundle in a fresh Node ${process.versions.node} process (module scope: SDK clients, Powertools); +maps = the same with NODE_OPTIONS=${ENABLE_SOURCE_MAPS}, which the catalog sets for the step functions (not the proxy).`,
          `Every bundle and mode alternated for ${rounds} round(s) after a discarded round; medians. (empty handler) is the floor: Node's require of a tiny file.`,
        ],
      },
    ],
    targets: [],
    data: { rounds, rows, samples, rebuilt: built.rebuilt, bundleMs: built.durationMs },
  };
}
