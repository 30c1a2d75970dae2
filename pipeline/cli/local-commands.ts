import { setTimeout as delay } from 'node:timers/promises';
import { resolve } from 'node:path';
import {
  ADMIN_TOKEN_HEADER,
  LOCAL_CLOUD_DEFAULTS,
  LocalCloud,
  readAdminToken,
  runningCloud,
  validateCloudOptions,
} from '../../local/cloud';
import { lockOwner } from '../../local/data-dir-lock';
import {
  CorruptStateError,
  DataDirInUseError,
  LocalCloudOptionsError,
  PortInUseError,
  portError,
} from '../../local/errors';
import { TargetError, UsageError } from '../errors';
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
  // Bad arguments are refused before anything else looks at the folder (exit 2, nothing started).
  asCliError(() =>
    validateCloudOptions({
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.edgePort === undefined ? {} : { edgePort: options.edgePort }),
      ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
    }),
  );
  const consolePort = options.consolePort ?? CONSOLE_DEFAULT_PORT;
  if (!(Number.isInteger(consolePort) && consolePort >= 0 && consolePort <= 65535)) {
    throw new UsageError(
      `--console-port must be a port number (0-65535, 0: any free port); got ${consolePort}.`,
    );
  }
  const running = await runningCloud(dataDir);
  if (running !== undefined) {
    out.line(`A local cloud already runs on ${dataDir} (pid ${running.pid}).`);
    out.line(`  AWS APIs  ${running.endpoint}`);
    out.line(`  edge      ${running.edgeUrl}`);
    out.result({ ...running, alreadyRunning: true });
    return;
  }
  let cloud: LocalCloud;
  try {
    cloud = await LocalCloud.start({
      dataDir,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.edgePort === undefined ? {} : { edgePort: options.edgePort }),
      ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
      ...(options.faults === undefined ? {} : { faultsFile: options.faults }),
      services: options.service ?? ['sentiment'],
      reset: options.reset === true,
      healthChecks: options.healthChecks !== false,
    });
  } catch (error) {
    throw cliErrorOf(error);
  }
  const info = cloud.info();
  let target: Awaited<ReturnType<typeof resolveTarget>> | undefined;
  let web: Awaited<ReturnType<typeof startConsole>> | undefined;
  try {
    target =
      options.console === false
        ? undefined
        : await resolveTarget({ ...options, endpoint: info.endpoint, aws: false });
    web =
      target === undefined
        ? undefined
        : await startConsole(target, { port: consolePort }).catch((error: unknown) => {
            throw portError(error, 'console', consolePort, '--console-port');
          });
  } catch (error) {
    // No half-started cloud: what started is stopped, the folder unlocked, before the error is told.
    await target?.close();
    await cloud.stop();
    throw cliErrorOf(error);
  }
  out.line(pc.dim(`Target: local cloud at ${info.endpoint} (data in ${dataDir})`));
  out.line(
    `${pc.green('✔')} Local cloud running (pid ${info.pid}, time ×${1 / info.timeScale} faster than AWS)`,
  );
  out.line(
    `  AWS APIs  ${info.endpoint}   e.g. aws --endpoint-url ${info.endpoint} --region ${info.region} sagemaker list-endpoints`,
  );
  out.line(`  edge      ${info.edgeUrl}/<service>/predict   (CloudFront + API Gateway)`);
  if (web !== undefined) out.line(`  console   ${web.url}`);
  if (cloud.healthChecks !== null) {
    out.line(
      `  health    ${cloud.healthChecks.expression} per service (every ${formatMs(cloud.healthChecks.intervalMs)} here), alarm to the notification topic`,
    );
  }
  out.line(`  admin     ${info.endpoint}/_local/... with the token in ${resolve(dataDir, 'admin-token')}`);
  out.line(`  stop      Ctrl-C, or \`npx rollout down --data-dir ${dataDir}\` from another terminal`);
  out.result({
    ...info,
    consoleUrl: web?.url ?? null,
    healthCheckIntervalMs: cloud.healthChecks?.intervalMs ?? null,
    alreadyRunning: false,
  });
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // `rollout down` asks through the admin API, proving it talks to this run (token + instance id).
    cloud.onShutdownRequest(stop);
  });
  out.line('Stopping the local cloud…');
  await web?.close();
  await target?.close();
  await cloud.stop();
}

/** Runs a check, turning the local cloud's start errors into the CLI's (exit 2 or 4). */
function asCliError(check: () => void): void {
  try {
    check();
  } catch (error) {
    throw cliErrorOf(error);
  }
}

/** Bad options exit 2 (UsageError); a folder, file or port at fault exits 4 (TargetError); others pass. */
function cliErrorOf(error: unknown): unknown {
  if (error instanceof LocalCloudOptionsError) return new UsageError(error.message, { cause: error });
  if (
    error instanceof PortInUseError ||
    error instanceof DataDirInUseError ||
    error instanceof CorruptStateError
  ) {
    return new TargetError(error.message, { cause: error });
  }
  return error;
}

/** `rollout console`: serves the deployment history console for the target until Ctrl-C. */
export async function consoleCommand(options: CommonOptions & { port?: number }): Promise<void> {
  const out = printer(options.json === true);
  const target = await resolveTarget(options);
  out.line(pc.dim(target.description));
  const port = options.port ?? CONSOLE_DEFAULT_PORT;
  let web: Awaited<ReturnType<typeof startConsole>>;
  try {
    web = await startConsole(target, { port });
  } catch (error) {
    await target.close();
    throw cliErrorOf(portError(error, 'console', port, '--port'));
  }
  out.line(`${pc.green('✔')} Console at ${web.url}  (Ctrl-C to stop)`);
  out.result({ url: web.url });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await web.close();
  await target.close();
}

/**
 * `rollout down`: stops the local cloud that `rollout up` started on the data folder. It never signals a
 * pid: it asks the cloud that holds the folder's lock, through the admin API with the run's token and
 * the instance id `cloud.json` records, and waits until the lock is released.
 */
export async function downCommand(options: CommonOptions): Promise<void> {
  const out = printer(options.json === true);
  const dataDir = options.dataDir ?? LOCAL_CLOUD_DEFAULTS.dataDir;
  const running = await runningCloud(dataDir);
  if (running === undefined) {
    if ((await lockOwner(resolve(dataDir))) !== undefined) {
      throw new TargetError(
        `A process holds ${dataDir} but does not answer as the local cloud recorded in its cloud.json; not stopping it.`,
      );
    }
    out.line(`No local cloud runs on ${dataDir}.`);
    out.result({ stopped: false });
    return;
  }
  const token = readAdminToken(dataDir);
  if (token === undefined) {
    throw new TargetError(
      `No admin token beside ${resolve(dataDir, 'cloud.json')}; cannot ask the cloud to stop.`,
    );
  }
  let answer: Response;
  try {
    answer = await fetch(`${running.endpoint}/_local/shutdown`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ADMIN_TOKEN_HEADER]: token },
      body: JSON.stringify({ instanceId: running.instanceId }),
    });
  } catch (error) {
    throw new TargetError(
      `The local cloud at ${running.endpoint} does not answer: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (answer.status !== 202) {
    throw new TargetError(
      `The local cloud at ${running.endpoint} refused to stop (${answer.status}): ${await answer.text()}`,
    );
  }
  for (let i = 0; i < 300 && (await lockOwner(resolve(dataDir))) !== undefined; i++) await delay(100);
  if ((await lockOwner(resolve(dataDir))) !== undefined)
    throw new TargetError(`The local cloud (pid ${running.pid}) did not stop within 30 s.`);
  out.line(`${pc.green('✔')} Stopped the local cloud (pid ${running.pid}, instance ${running.instanceId}).`);
  out.result({ stopped: true, pid: running.pid, instanceId: running.instanceId });
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}
