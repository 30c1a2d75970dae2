import { setTimeout as delay } from 'node:timers/promises';
import { LOCAL_CLOUD_DEFAULTS, LocalCloud, runningCloud } from '../../local/cloud';
import { TargetError } from '../errors';
import { resolveTarget } from '../target';
import { CONSOLE_DEFAULT_PORT, startConsole } from '../console/server';
import { pc, printer } from './output';
import type { CommonOptions } from './commands';

/** Options of `rollout up`. */
export interface UpOptions extends CommonOptions {
  readonly port?: number;
  readonly edgePort?: number;
  readonly timeScale?: number;
  readonly faults?: string;
  readonly service?: readonly string[];
  readonly reset?: boolean;
  /** Serve the console too. @default true */
  readonly console?: boolean;
  readonly consolePort?: number;
  /** Run every service's health check on the stack's schedule (time-scaled), with its alarm. @default true */
  readonly healthChecks?: boolean;
}

/**
 * `rollout up`: keeps the local cloud (AWS APIs + edge) running until Ctrl-C and prints its URLs. If
 * one already runs on the data folder, prints its URLs instead.
 */
export async function upCommand(options: UpOptions): Promise<void> {
  const out = printer(options.json === true);
  const dataDir = options.dataDir ?? LOCAL_CLOUD_DEFAULTS.dataDir;
  const running = runningCloud(dataDir);
  if (running !== undefined) {
    out.line(`A local cloud already runs on ${dataDir} (pid ${running.pid}).`);
    out.line(`  AWS APIs  ${running.endpoint}`);
    out.line(`  edge      ${running.edgeUrl}`);
    out.result({ ...running, alreadyRunning: true });
    return;
  }
  const cloud = await LocalCloud.start({
    dataDir,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.edgePort === undefined ? {} : { edgePort: options.edgePort }),
    ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
    ...(options.faults === undefined ? {} : { faultsFile: options.faults }),
    services: options.service ?? ['sentiment'],
    reset: options.reset === true,
    healthChecks: options.healthChecks !== false,
  });
  const info = cloud.info();
  const target =
    options.console === false
      ? undefined
      : await resolveTarget({ ...options, endpoint: info.endpoint, aws: false });
  const web =
    target === undefined
      ? undefined
      : await startConsole(target, { port: options.consolePort ?? CONSOLE_DEFAULT_PORT });
  out.line(pc.dim(`Target: local cloud at ${info.endpoint} (data in ${dataDir})`));
  out.line(
    `${pc.green('✔')} Local cloud running (pid ${info.pid}, time ×${1 / info.timeScale} faster than AWS)`,
  );
  out.line(
    `  AWS APIs  ${info.endpoint}   e.g. aws --endpoint-url ${info.endpoint} sagemaker list-endpoints`,
  );
  out.line(`  edge      ${info.edgeUrl}/<service>/predict   (CloudFront + API Gateway)`);
  if (web !== undefined) out.line(`  console   ${web.url}`);
  if (cloud.healthChecks !== null) {
    out.line(
      `  health    ${cloud.healthChecks.expression} per service (every ${formatMs(cloud.healthChecks.intervalMs)} here), alarm to the notification topic`,
    );
  }
  out.line(`  stop      Ctrl-C, or \`npx rollout down\` from another terminal`);
  out.result({
    ...info,
    consoleUrl: web?.url ?? null,
    healthCheckIntervalMs: cloud.healthChecks?.intervalMs ?? null,
    alreadyRunning: false,
  });
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out.line('Stopping the local cloud…');
  await web?.close();
  await target?.close();
  await cloud.stop();
}

/** `rollout console`: serves the deployment history console for the target until Ctrl-C. */
export async function consoleCommand(options: CommonOptions & { port?: number }): Promise<void> {
  const out = printer(options.json === true);
  const target = await resolveTarget(options);
  out.line(pc.dim(target.description));
  const web = await startConsole(target, { port: options.port ?? CONSOLE_DEFAULT_PORT });
  out.line(`${pc.green('✔')} Console at ${web.url}  (Ctrl-C to stop)`);
  out.result({ url: web.url });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await web.close();
  await target.close();
}

/** `rollout down`: stops the local cloud that `rollout up` started. */
export async function downCommand(options: CommonOptions): Promise<void> {
  const out = printer(options.json === true);
  const dataDir = options.dataDir ?? LOCAL_CLOUD_DEFAULTS.dataDir;
  const running = runningCloud(dataDir);
  if (running === undefined) {
    out.line(`No local cloud runs on ${dataDir}.`);
    out.result({ stopped: false });
    return;
  }
  process.kill(running.pid, 'SIGTERM');
  for (let i = 0; i < 100 && runningCloud(dataDir) !== undefined; i++) await delay(100);
  if (runningCloud(dataDir) !== undefined)
    throw new TargetError(`The local cloud (pid ${running.pid}) did not stop within 10 s; kill it by hand.`);
  out.line(`${pc.green('✔')} Stopped the local cloud (pid ${running.pid}).`);
  out.result({ stopped: true, pid: running.pid });
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}
