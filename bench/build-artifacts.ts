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
  /** The same with esbuild preferring the packages' ES module builds (mainFields module, main). */
  readonly sdkFloorEsm: string;
  /** bench/baselines/empty-handler.ts with the catalog's BUNDLING. */
  readonly empty: string;
}

/** Node major the bundles target here: the catalog's, lowered to the running Node (as bundle.ts does). */
function runningTarget(): string {
  const wanted = Number(/^node(\d+)$/.exec(BUNDLING.target)?.[1] ?? '0');
  const running = Number(process.versions.node.split('.')[0]);
  return wanted > running ? `node${running}` : BUNDLING.target;
}

/**
 * Reference handlers (bench/baselines/*.ts), bundled with the catalog's BUNDLING like the functions,
 * and the SDK floor once more with ES module builds preferred: what a bundling change could gain
 * (not what is deployed).
 */
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
  const sdkFloorEsm = join(CACHE_DIR, 'reference-bundles', 'sdk-floor-esm', 'index.js');
  await build({
    entryPoints: [join(ROOT, 'bench', 'baselines', 'sdk-floor-handler.ts')],
    outfile: sdkFloorEsm,
    bundle: true,
    platform: BUNDLING.platform,
    format: BUNDLING.format,
    target: runningTarget(),
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourcemap,
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  return { sdkFloor: sdkFloor.file, sdkFloorEsm, empty: empty.file };
}

/**
 * The proxy "unbundled", as a plain `tsc` build deploys it: every source file of lambdas/proxy and
 * lambdas/shared transpiled on its own (esbuild transform, no bundling, no minification), so the
 * handler `require`s `@aws-sdk/*` and Powertools from node_modules at run time. Returns the handler file.
 */
export async function buildUnbundledProxy(): Promise<string> {
  const outdir = join(CACHE_DIR, 'unbundled');
  const sources = ['lambdas/proxy', 'lambdas/shared'].flatMap((folder) =>
    readdirSync(join(ROOT, folder))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(ROOT, folder, f)),
  );
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
