import { execFileSync } from 'node:child_process';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';

/** The machine a run came from, written into the results. */
export interface MachineInfo {
  readonly os: string;
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly node: string;
  /** 1, 5 and 15 minute load averages at the start: a busy machine explains noisy figures. */
  readonly loadAverage: readonly number[];
  readonly git: string | null;
}

/** Describes this machine and the checkout. */
export function machineInfo(): MachineInfo {
  let git: string | null = null;
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lambdas', 'local', 'bench'], {
      encoding: 'utf8',
    }).trim();
    git = dirty === '' ? head : `${head} (+ uncommitted changes)`;
  } catch {
    git = null;
  }
  return {
    os: `${platform()} ${release()} ${arch()}`,
    cpuModel: cpus()[0]?.model ?? 'unknown CPU',
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.versions.node,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    git,
  };
}
