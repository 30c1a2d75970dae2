import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Lint rules that keep tests honest are errors (CI fails on them), not warnings. ESLint runs as CI runs
 * it, in its own process (its flat config is an ES module, which jest's module loader cannot import).
 */

const ROOT = join(__dirname, '..');
const ESLINT = join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

function eslint(args: readonly string[]): { status: number | null; stdout: string } {
  const run = spawnSync(process.execPath, [ESLINT, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout };
}

describe('the lint configuration of tests', () => {
  it('makes jest/no-disabled-tests and jest/no-focused-tests errors', () => {
    const run = eslint(['--print-config', join('test', 'pipeline', 'timeline.test.ts')]);

    const { rules } = JSON.parse(run.stdout) as { rules: Record<string, unknown> };
    const severity = (rule: string): unknown => {
      const setting = rules[rule];
      return Array.isArray(setting) ? setting[0] : setting;
    };
    expect({
      disabled: severity('jest/no-disabled-tests'),
      focused: severity('jest/no-focused-tests'),
    }).toEqual({ disabled: 2, focused: 2 });
  }, 60_000);
});
