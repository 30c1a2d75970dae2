import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { Clock } from './clock';
import { FaultEngine } from './faults';
import { createAwsServer, listen, close } from './server';
import { adminService } from './admin';
import { writeFileAtomic } from './store';
import type { ComputePlane, DataPlane } from './planes';
import type { LocalService, ServiceContext } from './protocol/types';
import { createDataPlane } from './services/data-plane';
import { createComputePlane } from './services/compute-plane';
import { HealthCheckSchedule, type HealthCheckScheduleOptions } from './health-checks';
import { DEFAULT_PREFIX } from '../pipeline/names';

/** How to start the local cloud. Every field has a default (see README "Local cloud"). */
export interface LocalCloudOptions {
  /** Persistent state folder; null keeps everything in memory. @default '.rollout/local' */
  readonly dataDir?: string | null;
  /** AWS API port; 0 picks a free port. @default 4580 */
  readonly port?: number;
  /** Edge (CloudFront + API Gateway) port; 0 picks a free port. @default 4581 */
  readonly edgePort?: number;
  /** @default '127.0.0.1' (loopback only) */
  readonly host?: string;
  /** AWS seconds → real seconds factor. @default 0.01 (100x faster) */
  readonly timeScale?: number;
  /** Fault rules file to load at start. */
  readonly faultsFile?: string;
  /** Start from empty state (deletes the data folder's content). @default false */
  readonly reset?: boolean;
  /** Services to provision at start (the local `cdk deploy`). @default [] */
  readonly services?: readonly string[];
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Repository root (ASL files and Lambda entries). @default the folder above local/ */
  readonly rootDir?: string;
  /**
   * Run the pipeline stack's health schedule and alarms: every provisioned service's health check on the
   * stack's schedule (rate(5 minutes) unless given), time-scaled, and its CloudWatch alarm, which
   * notifies the topic. `true` takes the stack's defaults. @default false (`rollout up` turns it on)
   */
  readonly healthChecks?: boolean | HealthCheckScheduleOptions;
}

/** Defaults of LocalCloudOptions, written once (the README mirrors them). */
export const LOCAL_CLOUD_DEFAULTS = {
  dataDir: '.rollout/local',
  port: 4580,
  edgePort: 4581,
  host: '127.0.0.1',
  timeScale: 0.01,
  region: 'us-east-1',
  accountId: '000000000000',
} as const;

/** What a running local cloud writes to `<dataDir>/cloud.json`, so other processes can find it. */
export interface LocalCloudInfo {
  readonly pid: number;
  readonly endpoint: string;
  readonly edgeUrl: string;
  readonly region: string;
  readonly timeScale: number;
  readonly startedAt: string;
}

/**
 * The local cloud: the AWS APIs the project calls, on their real wire protocols, on loopback. Point any
 * AWS SDK v3 client (or the AWS CLI) at `endpoint` with dummy credentials and it works as on AWS.
 */
export class LocalCloud {
  private constructor(
    readonly endpoint: string,
    readonly edgeUrl: string,
    readonly ctx: ServiceContext,
    readonly faults: FaultEngine,
    readonly data: DataPlane,
    readonly compute: ComputePlane,
    private readonly server: Server,
    private readonly dataDir: string | null,
    /** The health schedule, when `healthChecks` is on. */
    readonly healthChecks: HealthCheckSchedule | null,
  ) {}

  /** Starts the cloud; resolves when every port listens and provisioned services are back. */
  static async start(options: LocalCloudOptions = {}): Promise<LocalCloud> {
    installNode20Polyfills();
    const host = options.host ?? LOCAL_CLOUD_DEFAULTS.host;
    const dataDir =
      options.dataDir === undefined
        ? resolve(LOCAL_CLOUD_DEFAULTS.dataDir)
        : options.dataDir === null
          ? null
          : resolve(options.dataDir);
    if (dataDir !== null) {
      if (options.reset === true) rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir, { recursive: true });
      claimDataDir(dataDir);
    }
    const faults = new FaultEngine();
    if (options.faultsFile !== undefined) faults.load(options.faultsFile);
    const ctx: ServiceContext = {
      region: options.region ?? LOCAL_CLOUD_DEFAULTS.region,
      accountId: LOCAL_CLOUD_DEFAULTS.accountId,
      clock: new Clock(options.timeScale ?? LOCAL_CLOUD_DEFAULTS.timeScale),
      faults,
    };
    let services: readonly LocalService[] = [];
    const server = createAwsServer(() => services);
    const port = await listen(server, options.port ?? LOCAL_CLOUD_DEFAULTS.port, host);
    const endpoint = `http://${host}:${port}`;
    const rootDir = options.rootDir ?? resolve(__dirname, '..');
    const data = createDataPlane({ ctx, dataDir, endpoint, rootDir });
    const compute = await createComputePlane({
      ctx,
      dataDir,
      endpoint,
      rootDir,
      data,
      host,
      edgePort: options.edgePort ?? LOCAL_CLOUD_DEFAULTS.edgePort,
    });
    const healthChecks =
      options.healthChecks === undefined || options.healthChecks === false
        ? null
        : new HealthCheckSchedule(
            {
              clock: ctx.clock,
              prefix: DEFAULT_PREFIX,
              region: ctx.region,
              accountId: ctx.accountId,
              services: () => data.provisionedServices().map((r) => r.service),
              runHealthCheck: (service) => compute.runHealthCheck(service),
              putMetricAlarm: (config) => data.putMetricAlarm(config),
              evaluateAlarms: () => data.evaluateAlarms(),
            },
            options.healthChecks === true ? {} : options.healthChecks,
          );
    const cloud = new LocalCloud(
      endpoint,
      compute.edgeUrl,
      ctx,
      faults,
      data,
      compute,
      server,
      dataDir,
      healthChecks,
    );
    const admin = adminService({
      faults,
      info: () => cloud.info() as unknown as Record<string, unknown>,
      inventory: () => cloud.inventory(),
      provision: (service) => compute.provisionService(service),
      reset: () => cloud.reset(),
    });
    services = [admin, ...data.services, ...compute.services];
    for (const service of options.services ?? []) await compute.provisionService(service);
    healthChecks?.start();
    if (dataDir !== null) writeFileAtomic(join(dataDir, 'cloud.json'), JSON.stringify(cloud.info(), null, 2));
    return cloud;
  }

  /** Where the cloud listens and how fast it runs. */
  info(): LocalCloudInfo {
    return {
      pid: process.pid,
      endpoint: this.endpoint,
      edgeUrl: this.edgeUrl,
      region: this.ctx.region,
      timeScale: this.ctx.clock.timeScale,
      startedAt: startedAt,
    };
  }

  /** Environment that points AWS SDK clients and the AWS CLI at this cloud. */
  clientEnv(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_REGION: this.ctx.region,
      AWS_DEFAULT_REGION: this.ctx.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
  }

  /** Everything that exists, for before/after comparisons. */
  inventory(): Record<string, unknown> {
    return {
      ...this.data.inventory(),
      ...this.compute.inventory(),
      ...(this.healthChecks === null ? {} : { scheduledHealthChecks: this.healthChecks.inventory() }),
    };
  }

  /** Empties every store and clears faults (services must be provisioned again). */
  async reset(): Promise<void> {
    this.faults.clear();
    await this.compute.reset();
    this.data.reset();
  }

  /** Stops every port and worker; state stays in the data folder. */
  async stop(): Promise<void> {
    await this.healthChecks?.stop();
    await this.compute.close();
    await this.data.close();
    await close(this.server);
    if (this.dataDir !== null) {
      rmSync(join(this.dataDir, 'cloud.json'), { force: true });
      rmSync(join(this.dataDir, 'cloud.lock'), { force: true });
    }
  }
}

const startedAt = new Date().toISOString();

/** Reads the info of a local cloud running on `dataDir`, or undefined if none is running. */
export function runningCloud(dataDir: string = LOCAL_CLOUD_DEFAULTS.dataDir): LocalCloudInfo | undefined {
  const file = join(resolve(dataDir), 'cloud.json');
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LocalCloudInfo;
    return isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** One cloud per data folder: a second one would corrupt the first's state. A dead owner's claim is taken over. */
function claimDataDir(dataDir: string): void {
  const lock = join(dataDir, 'cloud.lock');
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
      throw new Error(
        `A local cloud (pid ${pid}) already uses ${dataDir}. Stop it (rollout down) or use another --data-dir.`,
      );
    }
  }
  writeFileAtomic(lock, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * aws-local-stepfunctions 3 targets Node >= 22 and calls `Promise.withResolvers` (Node 22 has it; this
 * machine runs Node 20). The polyfill follows the TC39 spec; it is a no-op on Node 22.
 */
export function installNode20Polyfills(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      const out = {} as {
        promise: Promise<T>;
        resolve: (value: T | PromiseLike<T>) => void;
        reject: (reason?: unknown) => void;
      };
      out.promise = new Promise<T>((res, rej) => {
        out.resolve = res;
        out.reject = rej;
      });
      return out;
    },
  });
}
