import { execFileSync } from 'node:child_process';

/** The Python the baseline runs on. */
export interface PythonInfo {
  /** The interpreter itself, not a pyenv shim (a shim is a shell script that adds ~100 ms per start). */
  readonly executable: string;
  readonly version: string;
  readonly boto3: string;
}

/** Finds python3 (through pyenv if that is how it is installed) and checks boto3 is importable. */
export function resolvePython(): PythonInfo {
  let text: string;
  try {
    text = execFileSync(
      'python3',
      [
        '-c',
        'import sys, json, boto3; print(json.dumps([sys.executable, sys.version.split()[0], boto3.__version__]))',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (error) {
    throw new Error(
      `The Python baseline needs python3 with boto3 (pip install boto3): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const parsed = JSON.parse(text.trim()) as unknown;
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((v) => typeof v === 'string')) {
    throw new Error(`Unexpected answer from python3: ${text}`);
  }
  const [executable, version, boto3] = parsed as [string, string, string];
  return { executable, version, boto3 };
}
