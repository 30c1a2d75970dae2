import { Command, InvalidArgumentError } from 'commander';
import { join, resolve } from 'node:path';
import { ADMIN_TOKEN_FILE, LocalCloud, LOCAL_CLOUD_DEFAULTS } from './cloud';
import { LocalCloudOptionsError } from './errors';

/**
 * Runs the local cloud as its own process: `tsx local/main.ts [options]`. When ready it prints one JSON
 * line (`{"ready": true, "endpoint": ..., "edgeUrl": ..., "adminTokenFile": ...}`) so a parent process
 * (tests, the CLI) can read the URLs; with --in-memory the line carries the admin token itself, as
 * there is no folder to keep it in. SIGINT/SIGTERM or `POST /_local/shutdown` (what `rollout down`
 * sends) stop it cleanly; SIGKILL loses nothing already acknowledged. A failed start exits 2 (bad
 * options) or 4 (cannot start: folder, file or port at fault, named in the message).
 */
const program = new Command('local-cloud')
  .description('Emulates the AWS APIs of hf-sagemaker-rollout on loopback')
  .option('--data-dir <dir>', 'persistent state folder', LOCAL_CLOUD_DEFAULTS.dataDir)
  .option('--in-memory', 'keep state in memory only')
  .option('--port <n>', 'AWS API port (0: any free port)', toPort, LOCAL_CLOUD_DEFAULTS.port)
  .option(
    '--edge-port <n>',
    'edge (CloudFront + API Gateway) port (0: any free port)',
    toPort,
    LOCAL_CLOUD_DEFAULTS.edgePort,
  )
  .option(
    '--time-scale <f>',
    'AWS seconds to real seconds (0.01: 100x faster)',
    toScale,
    LOCAL_CLOUD_DEFAULTS.timeScale,
  )
  .option('--faults <file>', 'fault rules (JSON) to load at start')
  .option('--service <name...>', 'services to provision at start')
  .option('--reset', 'start from empty state')
  .action(
    async (opts: {
      dataDir: string;
      inMemory?: boolean;
      port: number;
      edgePort: number;
      timeScale: number;
      faults?: string;
      service?: string[];
      reset?: boolean;
    }) => {
      const cloud = await LocalCloud.start({
        dataDir: opts.inMemory === true ? null : opts.dataDir,
        port: opts.port,
        edgePort: opts.edgePort,
        timeScale: opts.timeScale,
        ...(opts.faults === undefined ? {} : { faultsFile: opts.faults }),
        ...(opts.service === undefined ? {} : { services: opts.service }),
        reset: opts.reset === true,
      });
      const dataDir = opts.inMemory === true ? null : resolve(opts.dataDir);
      const token =
        dataDir === null
          ? { adminToken: cloud.adminToken }
          : { adminTokenFile: join(dataDir, ADMIN_TOKEN_FILE) };
      process.stdout.write(`${JSON.stringify({ ready: true, ...cloud.info(), ...token })}\n`);
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        void cloud.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      cloud.onShutdownRequest(stop);
    },
  );

function toPort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number (0-65535)');
  return n;
}

function toScale(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('a factor in (0, 1], e.g. 0.01');
  return n;
}

program.parseAsync().catch((error: unknown) => {
  console.error(`local cloud: ${error instanceof Error ? error.message : String(error)}`);
  // The README's exit codes: 2 bad arguments, 4 cannot start. A failed start has already released everything.
  process.exit(error instanceof LocalCloudOptionsError ? 2 : 4);
});
