import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING, PROXY_FUNCTION } from '../lambdas/catalog';
import { bundleFunctions, catalogBundleEntries, type BundleResult } from '../local/services/lambda/bundle';

/** Repository root. */
export const ROOT = resolve(__dirname, '..');

/**
 * Where the benchmarks build what they run. Under node_modules/.cache (git-ignored, the usual place for
 * tool caches) so that an unbundled handler there resolves `@aws-sdk/*` from the project's node_modules.
 */
export const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'hf-rollout-bench');

/** The compiled drivers (bench/drivers/*.ts), by file stem. */
export interface Drivers {
  readonly nodeCold: string;
  readonly nodeWarm: string;
  readonly loadClient: string;
  readonly bundleLoad: string;
}

/** Compiles bench/drivers/*.ts to CommonJS (packages left to node_modules) so plain `node` runs them. */
export async function buildDrivers(): Promise<Drivers> {
  const dir = join(ROOT, 'bench', 'drivers');
  const outdir = join(CACHE_DIR, 'drivers');
  await build({
    entryPoints: readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(dir, f)),
    outdir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0] ?? '20'}`,
    logLevel: 'silent',
  });
  return {
    nodeCold: join(outdir, 'node-cold-driver.js'),
    nodeWarm: join(outdir, 'node-warm-driver.js'),
    loadClient: join(outdir, 'load-client.js'),
    bundleLoad: join(outdir, 'bundle-load-driver.js'),
  };
}

/**
 * Every catalog function bundled exactly as the local cloud (and the stacks) bundle it: the catalog's
 * BUNDLING through local/services/lambda/bundle.ts, into the benchmarks' own cache folder.
 */
export async function buildCatalogBundles(): Promise<BundleResult> {
  const result = await bundleFunctions({
    rootDir: ROOT,
    outDir: join(CACHE_DIR, 'bundles'),
    entries: catalogBundleEntries(),
  });
  if (result.failures.size > 0) {
    const list = [...result.failures].map(([id, error]) => `${id}: ${error}`).join('; ');
    throw new Error(`Cannot bundle the catalog functions: ${list}`);
  }
  return result;
}

/** The reference handlers' bundles. */
export interface ReferenceBundles {
  /** bench/baselines/sdk-floor-handler.ts with the catalog's BUNDLING. */
  readonly sdkFloor: string;
  /** bench/baselines/empty-handler.ts with the catalog's BUNDLING. */
  readonly empty: string;
}

/** Node major the bundles target here: the catalog's, lowered to the running Node (as bundle.ts does). */
function runningTarget(): string {
  const wanted = Number(/^node(\d+)$/.exec(BUNDLING.target)?.[1] ?? '0');
  const running = Number(process.versions.node.split('.')[0]);
  return wanted > running ? `node${running}` : BUNDLING.target;
}

/** Reference handlers (bench/baselines/*.ts), bundled with the catalog's BUNDLING like the functions. */
export async function buildReferenceBundles(): Promise<ReferenceBundles> {
  const result = await bundleFunctions({
    rootDir: ROOT,
    outDir: join(CACHE_DIR, 'reference-bundles'),
    entries: [
      { id: 'sdk-floor', entry: 'bench/baselines/sdk-floor-handler.ts' },
      { id: 'empty', entry: 'bench/baselines/empty-handler.ts' },
    ],
  });
  const sdkFloor = result.bundles.get('sdk-floor');
  const empty = result.bundles.get('empty');
  if (sdkFloor === undefined || empty === undefined) {
    throw new Error(`Cannot bundle the reference handlers: ${[...result.failures.values()].join('; ')}`);
  }
  return { sdkFloor: sdkFloor.file, empty: empty.file };
}

/**
 * The proxy "unbundled", as a plain `tsc` build deploys it: every project source file the handler
 * imports (found by esbuild with packages left external) transpiled on its own (no bundling, no
 * minification), so the handler `require`s its packages from node_modules at run time. Returns the
 * handler file.
 */
export async function buildUnbundledProxy(): Promise<string> {
  const outdir = join(CACHE_DIR, 'unbundled');
  const graph = await build({
    entryPoints: [join(ROOT, PROXY_FUNCTION.entry)],
    bundle: true,
    packages: 'external',
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const sources = Object.keys(graph.metafile.inputs)
    .filter((f) => f.endsWith('.ts') && !f.includes('node_modules'))
    .map((f) => join(ROOT, f));
  await build({
    entryPoints: sources,
    outdir,
    outbase: ROOT,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: runningTarget(),
    logLevel: 'silent',
  });
  return join(outdir, PROXY_FUNCTION.entry.replace(/\.ts$/, '.js'));
}
