import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { formatSpecIssue, SpecInvalidError } from '../spec/errors';
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
import { pc } from './output';

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
  // Commander has printed the problem (or the help): a bad command line is invalid input, exit 2.
  // Set before the commands are added, so that they inherit it.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT.OK : EXIT.INVALID_INPUT));

function common(cmd: Command): CommonOptions {
  return cmd.optsWithGlobals<CommonOptions>();
}

function toInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return n;
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
  .option('--limit <n>', 'rows per page', toInt, 20)
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
  .option('--faults <file>', 'fault rules (JSON) to load')
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

program.parseAsync().then(
  () => {
    process.exitCode ??= EXIT.OK;
  },
  (error: unknown) => {
    const debug = process.argv.includes('--debug');
    if (error instanceof SpecInvalidError) {
      console.error(pc.red(error.message.split('\n')[0] ?? 'invalid spec'));
      for (const issue of error.issues) console.error(`  ${formatSpecIssue(issue)}`);
    } else {
      console.error(pc.red(`rollout: ${error instanceof Error ? error.message : String(error)}`));
    }
    if (debug && error instanceof Error && error.stack !== undefined) console.error(pc.dim(error.stack));
    process.exitCode = exitCodeOf(error);
  },
);
