import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFunctions, bundleFile } from '../../local/services/lambda/bundle';
import { BEHAVIOUR_ENTRY, ROOT } from './support/compute-harness';

let work: string;
let outDir: string;
let srcDir: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'bundle-test-'));
  outDir = join(work, 'out');
  srcDir = join(work, 'src');
  // Entries outside the repository resolve packages through this link, as a handler in lambdas/ does.
  writeFileSync(join(work, 'package.json'), '{"private": true}');
  symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
});

afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

function writeEntry(name: string, source: string): string {
  const file = join(work, `${name}.ts`);
  writeFileSync(file, source);
  return file;
}

describe('bundleFunctions', () => {
  it('writes one minified CommonJS file with a source map per entry, which runs', async () => {
    const result = await bundleFunctions({
      rootDir: ROOT,
      outDir,
      entries: [{ id: 'behaviour', entry: BEHAVIOUR_ENTRY }],
    });

    const built = result.bundles.get('behaviour');
    expect(built?.file).toBe(bundleFile(outDir, 'behaviour'));
    expect(built?.cached).toBe(false);
    expect(built?.codeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const code = readFileSync(built?.file ?? '', 'utf8');
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
    expect(code.split('\n').length).toBeLessThan(10);
    expect(existsSync(`${built?.file ?? ''}.map`)).toBe(true);
    const mod = createRequire(__filename)(built?.file ?? '') as {
      handler: (e: unknown, c: unknown) => Promise<unknown>;
    };
    await expect(mod.handler({ action: 'count', count: 1 }, {})).resolves.toEqual({
      action: 'count',
      count: 2,
    });
  });

  it('reuses bundles whose inputs did not change and rebuilds only the changed one', async () => {
    const changing = writeEntry('changing', "export const handler = async (): Promise<string> => 'v1';\n");
    const entries = [
      { id: 'behaviour', entry: BEHAVIOUR_ENTRY },
      { id: 'changing', entry: changing },
    ];
    await bundleFunctions({ rootDir: ROOT, outDir, entries });

    const again = await bundleFunctions({ rootDir: ROOT, outDir, entries });
    writeFileSync(changing, "export const handler = async (): Promise<string> => 'v2';\n");
    const changed = await bundleFunctions({ rootDir: ROOT, outDir, entries });

    expect(again.rebuilt).toEqual([]);
    expect(again.bundles.get('behaviour')?.cached).toBe(true);
    expect(changed.rebuilt).toEqual(['changing']);
    expect(changed.bundles.get('behaviour')?.cached).toBe(true);
    expect(readFileSync(changed.bundles.get('changing')?.file ?? '', 'utf8')).toContain('"v2"');
  });

  it('bundles the AWS SDK into the function file', async () => {
    const entry = writeEntry(
      'sdk',
      "import { LambdaClient } from '@aws-sdk/client-lambda';\nconst client = new LambdaClient({});\nexport const handler = async (): Promise<string> => typeof client.send;\n",
    );

    const result = await bundleFunctions({ rootDir: ROOT, outDir, entries: [{ id: 'sdk', entry }] });

    // Run it from a folder with no node_modules above it: it must need nothing outside itself.
    const isolated = mkdtempSync(join(tmpdir(), 'bundle-isolated-'));
    try {
      copyFileSync(result.bundles.get('sdk')?.file ?? '', join(isolated, 'index.js'));
      const mod = createRequire(__filename)(join(isolated, 'index.js')) as { handler: () => Promise<string> };
      await expect(mod.handler()).resolves.toBe('function');
      expect(result.bundles.get('sdk')?.bytes).toBeGreaterThan(100_000);
    } finally {
      rmSync(isolated, { recursive: true, force: true });
    }
  });

  it('reports an entry that does not build and still builds the others', async () => {
    const broken = writeEntry('broken', 'export const handler = async ( => {;\n');
    const missing = join(srcDir, 'missing.ts');

    const result = await bundleFunctions({
      rootDir: ROOT,
      outDir,
      entries: [
        { id: 'behaviour', entry: BEHAVIOUR_ENTRY },
        { id: 'broken', entry: broken },
        { id: 'missing', entry: missing },
      ],
    });

    expect(result.bundles.has('behaviour')).toBe(true);
    expect(result.failures.get('broken')).toMatch(/broken\.ts:1:/);
    expect(result.failures.get('missing')).toMatch(/does not exist/);
  });
});
