import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * The benchmark drivers print one result line, of several hundred KB for the load client, on a pipe
 * to a runner that may be busy. The line must arrive whole however late it is read: a driver that
 * exits right after writing loses what the pipe had not taken yet, and the benchmark then reports
 * "load-client.js … exited 0 without a result".
 */

const DRIVERS = join(__dirname, '..', '..', 'bench', 'drivers');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hf-rollout-bench-drivers-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a script with its stdout on a pipe that its reader (this process) leaves unread for a second. */
async function runWithLateReader(file: string): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Blocks this event loop (as a runner busy measuring would be): the child's pipe fills meanwhile.
  await new Promise((resolve) => setTimeout(resolve, 50));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  const code = await closed;
  return { code, stdout: Buffer.concat(chunks).toString('utf8') };
}

describe('a benchmark driver', () => {
  it('delivers a result line of 780 KB whole to a reader that reads late', async () => {
    const entry = join(dir, 'big-result.ts');
    writeFileSync(
      entry,
      `import { printResultAndExit } from ${JSON.stringify(join(DRIVERS, 'result-line'))};\n` +
        `printResultAndExit(process.stdout, { latencies: Array.from({ length: 100000 }, (_, i) => i + 0.5) });\n`,
    );
    await build({
      entryPoints: [entry],
      outdir: dir,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'silent',
    });

    const run = await runWithLateReader(join(dir, 'big-result.js'));

    expect(run.code).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(700_000);
    expect(run.stdout.startsWith('BENCH_RESULT ')).toBe(true);
    const result = JSON.parse(run.stdout.slice('BENCH_RESULT '.length)) as { latencies: number[] };
    expect(result.latencies).toHaveLength(100_000);
  });

  it('print their results through printResultAndExit (no process.exit right after a write)', () => {
    const drivers = readdirSync(DRIVERS).filter((f) => f.endsWith('.ts') && f !== 'result-line.ts');

    const exiting = drivers.filter((f) => /process\.exit\(/.test(readFileSync(join(DRIVERS, f), 'utf8')));
    const printing = drivers.filter((f) => /BENCH_RESULT \$\{/.test(readFileSync(join(DRIVERS, f), 'utf8')));

    expect({ exiting, printing }).toEqual({ exiting: [], printing: [] });
  });
});
