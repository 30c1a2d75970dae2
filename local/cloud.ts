import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { Clock } from './clock';
import { FaultEngine } from './faults';
import { createAwsServer, listen, close } from './server';
import { adminService } from './admin';
import { writeFileAtomic } from './store';
import { DataDirLock, lockOwner } from './data-dir-lock';
import { LocalCloudOptionsError, portError } from './errors';
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

/** File beside `cloud.json` holding the admin API's per-run token (mode 0600: only its user reads it). */
export const ADMIN_TOKEN_FILE = 'admin-token';

export { ADMIN_TOKEN_HEADER } from './admin';

/** What a running local cloud writes to `<dataDir>/cloud.json`, so other processes can find it. */
export interface LocalCloudInfo {
  readonly pid: number;
  /** Random per run; the data folder's lock owner answers the same id (see data-dir-lock.ts). */
  readonly instanceId: string;
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
    /** Random per run (also in cloud.json and the lock owner's answer). */
    readonly instanceId: string,
    /** The admin API's token for this run (also in `<dataDir>/admin-token`). */
    readonly adminToken: string,
    private readonly lock: DataDirLock | null,
  ) {}

  private readonly shutdownListeners: (() => void)[] = [];

  /**
   * Lets `POST /_local/shutdown` (what `rollout down` sends, with the token) stop this cloud: the owner
   * of the process registers how it stops. Without a listener the cloud refuses to be shut down remotely.
   */
  onShutdownRequest(listener: () => void): void {
    this.shutdownListeners.push(listener);
  }

  /** True when an owner listens for shutdown requests (then they were all called). */
  private requestShutdown(): boolean {
    for (const listener of this.shutdownListeners) listener();
    return this.shutdownListeners.length > 0;
  }

  /** Starts the cloud; resolves when every port listens and provisioned services are back. */
  static async start(options: LocalCloudOptions = {}): Promise<LocalCloud> {
    installNode20Polyfills();
    validateCloudOptions(options);
    const host = options.host ?? LOCAL_CLOUD_DEFAULTS.host;
    const dataDir =
      options.dataDir === undefined
        ? resolve(LOCAL_CLOUD_DEFAULTS.dataDir)
        : options.dataDir === null
          ? null
          : resolve(options.dataDir);
    const instanceId = randomUUID();
    const adminToken = randomBytes(32).toString('base64url');
    const urls: { endpoint?: string; edgeUrl?: string } = {};
    // Undone in reverse order when a later step fails: a failed start leaves nothing running or locked.
    const undo: (() => Promise<void> | void)[] = [];
    try {
      let lock: DataDirLock | null = null;
      if (dataDir !== null) {
        mkdirSync(dataDir, { recursive: true });
        lock = await DataDirLock.acquire(dataDir, () => ({ pid: process.pid, instanceId, ...urls }));
        const held = lock;
        undo.push(() => held.release());
        // Only the lock's owner may empty the folder: a reset must never wipe a running cloud's state.
        if (options.reset === true) emptyFolder(dataDir);
        writeFileAtomic(join(dataDir, ADMIN_TOKEN_FILE), adminToken, 0o600);
        undo.push(() => rmSync(join(dataDir, ADMIN_TOKEN_FILE), { force: true }));
      }
      const faults = new FaultEngine();
      if (options.faultsFile !== undefined) {
        try {
          faults.load(options.faultsFile);
        } catch (error) {
          throw new LocalCloudOptionsError(
            `--faults ${options.faultsFile}: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        }
      }
      const ctx: ServiceContext = {
        region: options.region ?? LOCAL_CLOUD_DEFAULTS.region,
        accountId: LOCAL_CLOUD_DEFAULTS.accountId,
        clock: new Clock(options.timeScale ?? LOCAL_CLOUD_DEFAULTS.timeScale),
        faults,
      };
      let services: readonly LocalService[] = [];
      const server = createAwsServer(() => services);
      const requestedPort = options.port ?? LOCAL_CLOUD_DEFAULTS.port;
      let port: number;
      try {
        port = await listen(server, requestedPort, host);
      } catch (error) {
        throw portError(error, 'AWS API', requestedPort, '--port');
      }
      undo.push(() => close(server));
      const endpoint = `http://${host}:${port}`;
      urls.endpoint = endpoint;
      const rootDir = options.rootDir ?? resolve(__dirname, '..');
      const data = createDataPlane({ ctx, dataDir, endpoint, rootDir });
      undo.push(() => data.close());
      const compute = await createComputePlane({
        ctx,
        dataDir,
        endpoint,
        rootDir,
        data,
        host,
        edgePort: options.edgePort ?? LOCAL_CLOUD_DEFAULTS.edgePort,
      });
      undo.push(() => compute.close());
      urls.edgeUrl = compute.edgeUrl;
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
        instanceId,
        adminToken,
        lock,
      );
      const admin = adminService({
        faults,
        token: adminToken,
        instanceId,
        info: () => cloud.info() as unknown as Record<string, unknown>,
        inventory: () => cloud.inventory(),
        provision: (service) => compute.provisionService(service),
        reset: () => cloud.reset(),
        shutdown: () => cloud.requestShutdown(),
      });
      services = [admin, ...data.services, ...compute.services];
      for (const service of options.services ?? []) await compute.provisionService(service);
      healthChecks?.start();
      if (dataDir !== null)
        writeFileAtomic(join(dataDir, 'cloud.json'), JSON.stringify(cloud.info(), null, 2));
      return cloud;
    } catch (error) {
      for (const step of undo.reverse()) {
        try {
          await step();
        } catch {
          // Best effort: the start's own error is the one to report.
        }
      }
      throw error;
    }
  }

  /** Where the cloud listens and how fast it runs. */
  info(): LocalCloudInfo {
    return {
      pid: process.pid,
      instanceId: this.instanceId,
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
      rmSync(join(this.dataDir, ADMIN_TOKEN_FILE), { force: true });
    }
    // Last: once released, another cloud may take the folder.
    await this.lock?.release();
  }
}

const startedAt = new Date().toISOString();

/**
 * The local cloud running on `dataDir`, or undefined if none is. "Running" means a live process holds
 * the folder's lock and answers the instance id that `cloud.json` records; a stale `cloud.json` (its
 * pid dead or reused by another program) is never taken for a running cloud.
 */
export async function runningCloud(
  dataDir: string = LOCAL_CLOUD_DEFAULTS.dataDir,
): Promise<LocalCloudInfo | undefined> {
  const held = await lockOwner(resolve(dataDir));
  if (held?.owner === undefined) return undefined;
  const recorded = readCloudJson(dataDir);
  if (recorded !== undefined && recorded.instanceId === held.owner.instanceId) return recorded;
  return undefined;
}

/** The admin token of the cloud running on `dataDir` (undefined when the file is missing). */
export function readAdminToken(dataDir: string = LOCAL_CLOUD_DEFAULTS.dataDir): string | undefined {
  try {
    return readFileSync(join(resolve(dataDir), ADMIN_TOKEN_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function readCloudJson(dataDir: string): LocalCloudInfo | undefined {
  const file = join(resolve(dataDir), 'cloud.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalCloudInfo;
  } catch {
    return undefined;
  }
}

/** Empties a data folder, keeping the folder itself (its real path names the lock). */
function emptyFolder(dir: string): void {
  for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
}

/** Throws LocalCloudOptionsError naming the flag of an out-of-range port or time scale. */
export function validateCloudOptions(options: LocalCloudOptions): void {
  for (const [flag, port] of [
    ['--port', options.port],
    ['--edge-port', options.edgePort],
  ] as const) {
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new LocalCloudOptionsError(
        `${flag} must be a port number (0-65535, 0: any free port); got ${port}.`,
      );
    }
  }
  const scale = options.timeScale;
  if (scale !== undefined && !(Number.isFinite(scale) && scale > 0 && scale <= 1)) {
    throw new LocalCloudOptionsError(
      `--time-scale must be a factor in (0, 1], e.g. 0.01 (100x faster than AWS); got ${scale}.`,
    );
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
