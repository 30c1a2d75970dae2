import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { formatSpecIssue, SpecInvalidError } from '../spec/errors';
import { readSpecFile } from '../spec/read';
import { RolloutBlockedError, RolloutFailedError } from '../errors';
import { EXIT, EXIT_CODES_HELP, exitCodeOf } from './exit-codes';
import {
  deployCommand,
  healthCommand,
  historyCommand,
  planCommand,
  rollbackCommand,
  statusCommand,
  validateCommand,
  type CommonOptions,
} from './commands';
import { consoleCommand, downCommand, upCommand } from './local-commands';
import { completeCommands, pc, shellQuote } from './output';

// Node 20 works; the SDK's deprecation warning would print on every command (README: Node 22 recommended).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The `rollout` CLI: a thin layer that maps commands onto the rollout library and outcomes onto
 * documented exit codes. The library never exits the process; this file sets process.exitCode.
 */
const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  version: string;
};

const program = new Command('rollout')
  .description('Zero-downtime HuggingFace model rollouts on SageMaker, orchestrated by Step Functions')
  .version(version)
  .option(
    '--aws',
    'act on a deployed stack in your AWS account (default: the local cloud; also ROLLOUT_TARGET=aws)',
  )
  .option('--region <region>', 'AWS region (default: AWS_REGION or your profile)')
  .option('--stack <name>', 'pipeline stack to read state machine ARNs from', 'HfRollout-Pipeline')
  .option('--data-dir <dir>', 'local cloud data folder', '.rollout/local')
  .option('--endpoint <url>', 'use the local cloud at this AWS API URL')
  .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
  .option('--debug', 'print stack traces of errors')
  .addHelpText('after', EXIT_CODES_HELP)
  .showHelpAfterError()
  .configureOutput({
    // Kept for the --json error object; commander still prints it (with the help) on stderr.
    outputError: (text, write) => {
      commandLineError = text.replace(/^error: /, '').trim();
      write(text);
    },
  })
  // Commander has printed the problem (or the help) and throws instead of exiting: the rejection
  // below maps a bad command line to exit 2 (invalid input). Set before the commands are added, so
  // that they inherit it.
  .exitOverride();

/** The last problem commander found in the command line. */
let commandLineError: string | undefined;

/** The program options that choose a target, as given (for hints that must reach the same target). */
const TARGET_OPTIONS = [
  ['aws', '--aws'],
  ['region', '--region'],
  ['stack', '--stack'],
  ['dataDir', '--data-dir'],
  ['endpoint', '--endpoint'],
] as const;

function hintFlags(): string[] {
  const opts = program.opts<Record<string, unknown>>();
  const flags: string[] = [];
  for (const [key, flag] of TARGET_OPTIONS) {
    if (program.getOptionValueSource(key) !== 'cli') continue;
    const value = opts[key];
    if (value === true) flags.push(flag);
    else if (typeof value === 'string') flags.push(`${flag} ${shellQuote(value)}`);
  }
  return flags;
}

function common(cmd: Command): CommonOptions {
  return { ...cmd.optsWithGlobals<CommonOptions>(), hintFlags: hintFlags() };
}

function toInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return n;
}

/** Step Functions lists at most 1,000 executions per page (ListExecutions maxResults). */
const HISTORY_LIMIT_MAX = 1000;

function toLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > HISTORY_LIMIT_MAX)
    throw new InvalidArgumentError(`a whole number ≥ 1 and ≤ ${HISTORY_LIMIT_MAX}`);
  return n;
}

/**
 * `--faults <file>`: checked before anything starts, so a missing or broken file is a command-line
 * error naming the file (read with the spec's limits: a regular file, 256 KiB at most).
 */
function toFaultsFile(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readSpecFile(value)) as unknown;
  } catch (error) {
    const message = (error as Error).message.replace(/^Cannot read spec file /, '');
    throw new InvalidArgumentError(
      error instanceof SyntaxError ? `${value} is not valid JSON (${message})` : `cannot read ${message}`,
    );
  }
  const rules = Array.isArray(parsed) ? parsed : (parsed as { faults?: unknown } | null)?.faults;
  if (!Array.isArray(rules))
    throw new InvalidArgumentError(`${value} must hold an array of fault rules or {"faults": [...]}`);
  return value;
}

program
  .command('deploy <spec>')
  .description('start a rollout of a spec and follow it to the end')
  .option('--no-wait', 'start the rollout and return at once')
  .action((spec: string, _o: unknown, cmd: Command) => deployCommand(spec, common(cmd)));

program
  .command('status <rollout>')
  .description('show a rollout: steps, timings, smoke results, failure')
  .option('--follow', 'follow it until it ends')
  .option('--verbose', 'one row per poll and retry (default: one row per step)')
  .action((rollout: string, _o: unknown, cmd: Command) => statusCommand(rollout, common(cmd)));

program
  .command('history')
  .description('list rollouts, newest first')
  .option('--service <name>', 'only this service')
  // Any case (FAILED, failed): historyCommand checks the value and exits 2 naming the choices.
  .option('--status <status>', 'only this status: running, succeeded, failed, timed_out or aborted')
  .option('--limit <n>', `rows per page (1-${HISTORY_LIMIT_MAX})`, toLimit, 20)
  .option('--next-token <token>', 'the next page (printed under the table)')
  .action((_o: unknown, cmd: Command) => historyCommand(common(cmd)));

program
  .command('validate <spec>')
  .description('check a spec; nothing is created or contacted')
  .action((spec: string, _o: unknown, cmd: Command) => validateCommand(spec, common(cmd)));

program
  .command('plan <spec>')
  .description('show what a rollout of the spec would create; nothing is changed')
  .action((spec: string, _o: unknown, cmd: Command) => planCommand(spec, common(cmd)));

program
  .command('rollback')
  .description('point the API back at the previous kept deployment')
  .requiredOption('--service <name>', 'service to roll back')
  .option('--to <rollout>', 'a kept rollout id (default: the most recent previous one)')
  .option('--reason <text>', 'why, for history')
  .option('--no-wait', 'start the rollback and return at once')
  .action((_o: unknown, cmd: Command) => rollbackCommand(common(cmd) as CommonOptions & { service: string }));

program
  .command('health')
  .description("run the live deployment's health check now")
  .option('--service <name>', 'service to check', 'sentiment')
  .action((_o: unknown, cmd: Command) => healthCommand(common(cmd) as CommonOptions & { service: string }));

program
  .command('up')
  .description('keep the local cloud (AWS APIs and edge) running; prints their URLs')
  .option('--port <n>', 'AWS API port', toInt)
  .option('--edge-port <n>', 'edge port', toInt)
  .option('--time-scale <f>', 'AWS seconds to real seconds (0.01 = 100x faster)', parseFloat)
  .option('--faults <file>', 'fault rules (JSON) to load', toFaultsFile)
  .option('--service <name...>', 'services to provision (default: sentiment)')
  .option('--reset', 'start from empty state')
  .option('--no-console', 'do not serve the console')
  .option('--console-port <n>', 'console port', toInt)
  .option('--no-health-checks', 'do not run the scheduled health checks and alarms')
  .action((_o: unknown, cmd: Command) => upCommand(common(cmd)));

program
  .command('console')
  .description('serve the deployment history console (loopback) for the target')
  .option('--port <n>', 'console port', toInt)
  .action((_o: unknown, cmd: Command) => consoleCommand(common(cmd)));

program
  .command('down')
  .description('stop the local cloud started by `rollout up`')
  .action((_o: unknown, cmd: Command) => downCommand(common(cmd)));

/** The `--json` error object: `{"error": {"name", "message", "exitCode", ...}}`. */
function errorObject(error: unknown, exitCode: number): { error: Record<string, unknown> } {
  if (error instanceof CommanderError) {
    return {
      error: {
        name: 'UsageError',
        message: commandLineError ?? error.message.replace(/^error: /, ''),
        exitCode,
        code: error.code,
      },
    };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = completeCommands(error instanceof Error ? error.message : String(error), {
    rolloutFlags: hintFlags(),
  });
  const extra =
    error instanceof SpecInvalidError
      ? { issues: error.issues }
      : error instanceof RolloutFailedError || error instanceof RolloutBlockedError
        ? { result: error.result }
        : {};
  return { error: { name, message, exitCode, ...extra } };
}

program.parseAsync().then(
  () => {
    process.exitCode ??= EXIT.OK;
  },
  (error: unknown) => {
    const exitCode = exitCodeOf(error);
    process.exitCode = exitCode;
    // Help and --version end here too, with nothing more to say.
    if (error instanceof CommanderError && exitCode === EXIT.OK) return;
    const debug = process.argv.includes('--debug');
    const json = program.opts<{ json?: boolean }>().json === true || process.argv.includes('--json');
    if (json) process.stdout.write(`${JSON.stringify(errorObject(error, exitCode), null, 2)}\n`);
    // Commander has printed its own message already.
    if (error instanceof CommanderError) return;
    const flags = { rolloutFlags: hintFlags() };
    if (error instanceof SpecInvalidError) {
      console.error(pc.red(error.message.split('\n')[0] ?? 'invalid spec'));
      for (const issue of error.issues) console.error(`  ${formatSpecIssue(issue)}`);
    } else if (exitCode === EXIT.INTERNAL) {
      console.error(
        pc.red(
          `rollout: unexpected error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        ),
      );
      if (!debug) console.error('  Run it again with --debug for the stack trace, and report it.');
    } else {
      const message = error instanceof Error ? error.message : String(error);
      console.error(pc.red(`rollout: ${completeCommands(message, flags)}`));
    }
    if (debug && error instanceof Error && error.stack !== undefined) console.error(pc.dim(error.stack));
  },
);
