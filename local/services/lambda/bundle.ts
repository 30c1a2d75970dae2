import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { build, version as esbuildVersion, type BuildFailure, type Metafile } from 'esbuild';
import { BUNDLING, PROXY_FUNCTION, STEP_FUNCTIONS } from '../../../lambdas/catalog';
import { writeFileAtomic } from '../../store';

/** One function to bundle: `id` names its output folder, `entry` its TypeScript entry file. */
export interface BundleEntry {
  readonly id: string;
  /** Entry file, absolute or relative to rootDir. */
  readonly entry: string;
}

/** Where and what to bundle. */
export interface BundleOptions {
  /** Repository root: esbuild's working directory and the base of relative entries. */
  readonly rootDir: string;
  /** Output folder: `<outDir>/<id>/index.js` (+ `.map`) and `manifest.json`. */
  readonly outDir: string;
  readonly entries: readonly BundleEntry[];
  /** Rebuild even when the cache says the bundles are current. @default false */
  readonly force?: boolean;
}

/** A bundle ready to run. */
export interface BuiltBundle {
  readonly id: string;
  /** Absolute path of the minified CommonJS file. */
  readonly file: string;
  readonly bytes: number;
  /** Base64 SHA-256 of the file, as Lambda reports CodeSha256. */
  readonly codeSha256: string;
  /** True when this run reused the bundle from the cache. */
  readonly cached: boolean;
}

/** The outcome of bundling a set of entries. */
export interface BundleResult {
  readonly bundles: ReadonlyMap<string, BuiltBundle>;
  /** Entries that could not be built, with esbuild's message (the rest still work). */
  readonly failures: ReadonlyMap<string, string>;
  /** Ids rebuilt by this run (empty on a full cache hit). */
  readonly rebuilt: readonly string[];
  readonly durationMs: number;
}

interface FileFingerprint {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

interface ManifestEntry {
  readonly entry: string;
  readonly optionsKey: string;
  /** Absolute paths of every input esbuild read (from its metafile). */
  readonly inputs: readonly string[];
}

interface Manifest {
  readonly version: 1;
  readonly entries: Record<string, ManifestEntry>;
  readonly files: Record<string, FileFingerprint>;
}

/**
 * Local Node may be older than the runtime the stacks target (BUNDLING.target, node22); esbuild's
 * target only decides which syntax is lowered, so lowering for the running Node is always safe.
 */
function effectiveTarget(): string {
  const wanted = Number(/^node(\d+)$/.exec(BUNDLING.target)?.[1] ?? '0');
  const running = Number(process.versions.node.split('.')[0]);
  return wanted > running ? `node${running}` : BUNDLING.target;
}

/** esbuild options every bundle gets: the catalog's BUNDLING, as NodejsFunction applies it. */
function buildOptions(): {
  platform: 'node';
  format: 'cjs';
  target: string;
  minify: boolean;
  sourcemap: boolean;
  mainFields: string[];
} {
  return {
    platform: BUNDLING.platform,
    format: BUNDLING.format,
    target: effectiveTarget(),
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourcemap,
    mainFields: [...BUNDLING.mainFields],
  };
}

/** Cache key part that changes when the bundling options or esbuild change. */
function optionsKey(): string {
  return sha256Hex(
    JSON.stringify({ ...buildOptions(), esbuildVersion, bundleAwsSdk: BUNDLING.bundleAwsSdk }),
  );
}

/**
 * Bundles functions with esbuild the way the stacks do (one minified CommonJS file per function, the
 * AWS SDK inside, a source map beside it) into `<outDir>/<id>/index.js`. A manifest remembers every
 * input file of every bundle (esbuild's metafile) with its size, mtime and hash, so a restart rebuilds
 * only the bundles whose inputs changed, in one esbuild call. An entry that fails to build is reported
 * in `failures` and does not stop the others (a half-written handler must not take the cloud down).
 */
export async function bundleFunctions(options: BundleOptions): Promise<BundleResult> {
  const started = Date.now();
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const manifestFile = join(outDir, 'manifest.json');
  const manifest = readManifest(manifestFile);
  const key = optionsKey();
  const fingerprints = new FingerprintCache(manifest.files);

  const failures = new Map<string, string>();
  const stale: { id: string; entry: string }[] = [];
  for (const { id, entry } of options.entries) {
    const entryPath = isAbsolute(entry) ? entry : resolve(options.rootDir, entry);
    if (!existsSync(entryPath)) {
      failures.set(id, `Entry file ${relative(options.rootDir, entryPath)} does not exist.`);
      continue;
    }
    const known = manifest.entries[id];
    const current =
      options.force !== true &&
      known !== undefined &&
      known.entry === entryPath &&
      known.optionsKey === key &&
      existsSync(bundleFile(outDir, id)) &&
      known.inputs.every((input) => fingerprints.unchanged(input));
    if (!current) stale.push({ id, entry: entryPath });
  }

  const built = new Map<string, readonly string[]>();
  if (stale.length > 0) {
    try {
      for (const [id, inputs] of await esbuildAll(options.rootDir, outDir, stale)) built.set(id, inputs);
    } catch {
      // One broken entry fails a shared build; build them one by one to keep the good ones.
      for (const one of stale) {
        try {
          for (const [id, inputs] of await esbuildAll(options.rootDir, outDir, [one])) built.set(id, inputs);
        } catch (error) {
          failures.set(one.id, buildErrorText(error));
        }
      }
    }
  }

  const entries: Record<string, ManifestEntry> = { ...manifest.entries };
  for (const { id, entry } of stale) {
    const inputs = built.get(id);
    if (inputs === undefined) {
      delete entries[id];
      continue;
    }
    entries[id] = { entry, optionsKey: key, inputs };
    for (const input of inputs) fingerprints.refresh(input);
  }
  writeFileAtomic(
    manifestFile,
    JSON.stringify({ version: 1, entries, files: fingerprints.snapshot(entries) } satisfies Manifest),
  );

  const bundles = new Map<string, BuiltBundle>();
  for (const { id } of options.entries) {
    if (failures.has(id)) continue;
    const file = bundleFile(outDir, id);
    const content = readFileSync(file);
    bundles.set(id, {
      id,
      file,
      bytes: content.length,
      codeSha256: createHash('sha256').update(content).digest('base64'),
      cached: !built.has(id),
    });
  }
  return { bundles, failures, rebuilt: [...built.keys()], durationMs: Date.now() - started };
}

/** The bundle entries of every catalog function (step functions and the proxy), by catalog id. */
export function catalogBundleEntries(): BundleEntry[] {
  return [...STEP_FUNCTIONS, PROXY_FUNCTION].map((f) => ({ id: f.id, entry: f.entry }));
}

/** Path of a bundle's JavaScript file. */
export function bundleFile(outDir: string, id: string): string {
  return join(outDir, id, 'index.js');
}

/**
 * Runs esbuild for some entries into staging folders beside their final ones (same depth, so the
 * source maps' relative paths stay right), then renames each file into place: a reader, or another
 * process bundling into the same cache, sees the old or the new file, never half of one.
 */
async function esbuildAll(
  rootDir: string,
  outDir: string,
  entries: readonly { id: string; entry: string }[],
): Promise<Map<string, string[]>> {
  const stamp = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const result = await build({
    ...buildOptions(),
    absWorkingDir: rootDir,
    entryPoints: Object.fromEntries(entries.map((e) => [`${e.id}.staging-${stamp}`, e.entry])),
    entryNames: '[name]/index',
    outdir: outDir,
    bundle: true,
    metafile: true,
    logLevel: 'silent',
  });
  const out = new Map<string, string[]>();
  for (const { id } of entries) {
    const staging = join(outDir, `${id}.staging-${stamp}`);
    mkdirSync(join(outDir, id), { recursive: true });
    renameSync(join(staging, 'index.js.map'), join(outDir, id, 'index.js.map'));
    renameSync(join(staging, 'index.js'), join(outDir, id, 'index.js'));
    rmSync(staging, { recursive: true, force: true });
    out.set(id, inputsOf(result.metafile, rootDir, relative(rootDir, join(staging, 'index.js'))));
  }
  return out;
}

function inputsOf(metafile: Metafile, rootDir: string, output: string): string[] {
  const normalized = output.split('\\').join('/');
  const entry = Object.entries(metafile.outputs).find(([path]) => path === normalized)?.[1];
  return Object.keys(entry?.inputs ?? {}).map((input) => resolve(rootDir, input));
}

function buildErrorText(error: unknown): string {
  const failure = error as Partial<BuildFailure>;
  if (Array.isArray(failure.errors) && failure.errors.length > 0) {
    return failure.errors
      .slice(0, 5)
      .map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
      .join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

function readManifest(file: string): Manifest {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
    if (parsed.version === 1 && parsed.entries !== undefined && parsed.files !== undefined) {
      return parsed as Manifest;
    }
  } catch {
    // No manifest (first run) or a damaged one: everything is rebuilt.
  }
  return { version: 1, entries: {}, files: {} };
}

/**
 * Size + mtime first, content hash only when they moved: hashing the AWS SDK's hundreds of files on
 * every start would cost more than the cache saves; a touched but unchanged file still counts as current.
 */
class FingerprintCache {
  private readonly files: Record<string, FileFingerprint>;

  constructor(known: Readonly<Record<string, FileFingerprint>>) {
    this.files = { ...known };
  }

  unchanged(file: string): boolean {
    const known = this.files[file];
    if (known === undefined) return false;
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return false;
    }
    if (stat.size === known.size && stat.mtimeMs === known.mtimeMs) return true;
    const sha256 = sha256Hex(readFileSync(file));
    if (sha256 !== known.sha256) return false;
    this.files[file] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256 };
    return true;
  }

  refresh(file: string): void {
    try {
      const stat = statSync(file);
      this.files[file] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256Hex(readFileSync(file)) };
    } catch {
      delete this.files[file];
    }
  }

  /** Fingerprints of the files some entry still uses. */
  snapshot(entries: Readonly<Record<string, ManifestEntry>>): Record<string, FileFingerprint> {
    const used = new Set(Object.values(entries).flatMap((e) => e.inputs));
    return Object.fromEntries(Object.entries(this.files).filter(([file]) => used.has(file)));
  }
}

function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
