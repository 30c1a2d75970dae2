import { hostname, userInfo } from 'node:os';
import { StartExecutionCommand, StartSyncExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { resolveImageUri, type RolloutSpec } from '../spec';
import { loadSpecFile } from '../spec/read';
import { newRollbackId, newRolloutId } from '../names';
import { findService, resolveTarget, type Target, type TargetOptions } from '../target';
import { followRollout } from '../follow';
import {
  executionArnOf,
  getRollout,
  listRollouts,
  parseJson,
  proxyLiveLookup,
  type RolloutDetail,
} from '../history';
import { readLivePointer } from '../../lambdas/shared/live-pointer';
import type { ServiceRegistration } from '../../lambdas/shared/types';
import {
  InterruptedError,
  NotFoundError,
  RolloutBlockedError,
  RolloutFailedError,
  TargetError,
  UsageError,
} from '../errors';
import { unreachableCode } from './exit-codes';
import { formatDuration, pc, printer, type Printer } from './output';
import { StepPrinter, printDetail, printFailure, printHistory, printSmoke } from './report';

/** Options every command accepts. */
export interface CommonOptions extends TargetOptions {
  readonly json?: boolean;
  readonly debug?: boolean;
  /** The options that chose the target, shell-quoted, for the commands hints print. */
  readonly hintFlags?: readonly string[];
}

/** Who started a rollout: ROLLOUT_REQUESTED_BY, else user@host. */
export function requester(): string {
  const env = process.env.ROLLOUT_REQUESTED_BY;
  if (env !== undefined && env !== '') return env;
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`;
  }
}

/**
 * Reads and validates a spec file: a regular file of at most 256 KiB (throws SpecFileError), valid
 * (throws SpecInvalidError naming each field).
 */
export function loadSpec(file: string): { spec: RolloutSpec; raw: unknown } {
  return loadSpecFile(file);
}

/** A request body to show in the "call it" example: the first JSON smoke test's body. */
function sampleBody(spec: RolloutSpec): string {
  const test = spec.smokeTests.find((t) => t.contentType.includes('json'));
  return test === undefined ? '{"inputs": "I love this"}' : JSON.stringify(test.body);
}

function describeSpec(spec: RolloutSpec): string {
  const ep =
    spec.endpoint.type === 'serverless'
      ? `serverless ${spec.endpoint.memorySizeMb} MB × ${spec.endpoint.maxConcurrency}`
      : `${spec.endpoint.instanceType} × ${spec.endpoint.initialInstanceCount}`;
  return `service ${spec.service}, model ${spec.model.id}@${spec.model.revision} (${spec.model.task}), ${ep}, ${spec.smokeTests.length} smoke test${spec.smokeTests.length === 1 ? '' : 's'}`;
}

/** Runs `fn` with a resolved target, printing the target line first and closing it after. */
async function withTarget<T>(
  options: CommonOptions,
  out: Printer,
  fn: (target: Target) => Promise<T>,
): Promise<T> {
  const target = await resolveTarget(options);
  out.hints({
    rolloutFlags: options.hintFlags ?? [],
    ...(target.local === undefined
      ? {}
      : { awsEndpoint: { url: target.local.endpoint, region: target.region } }),
  });
  out.line(pc.dim(target.description));
  try {
    return await fn(target);
  } catch (error) {
    const code = unreachableCode(error);
    if (code === undefined) throw error;
    // The cloud died or the network went away mid-command: say which target, not a socket error.
    const where = target.local?.endpoint ?? target.description;
    throw new TargetError(
      target.kind === 'local'
        ? `The local cloud at ${where} stopped answering (${code}). Start one with \`npx rollout up\`, then check what ran with \`npx rollout history\`.`
        : `AWS stopped answering (${code}): ${(error as Error).message}. Check your network and run the command again.`,
      { cause: error },
    );
  } finally {
    await target.close();
  }
}

/** Step Functions' answers to a rollout id that names no execution. */
const NO_SUCH_EXECUTION = new Set(['ExecutionDoesNotExist', 'InvalidArn', 'InvalidName']);

/** Turns "no such execution" into an input error naming the id (a typo is not a bug). */
async function knownRollout<T>(rollout: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Error && NO_SUCH_EXECUTION.has(error.name)) {
      throw new NotFoundError(
        `There is no rollout ${rollout} (${error.name}); list them with \`npx rollout history\`.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** `rollout validate <spec>` */
export function validateCommand(file: string, options: CommonOptions): void {
  const out = printer(options.json === true);
  const { spec } = loadSpec(file);
  out.line(`${pc.green('✔')} ${file} is valid: ${describeSpec(spec)}`);
  out.result({ valid: true, spec });
}

/** `rollout plan <spec>`: what a rollout would create; reads what is live when a target is reachable, changes nothing. */
export async function planCommand(file: string, options: CommonOptions): Promise<void> {
  const out = printer(options.json === true);
  const { spec } = loadSpec(file);
  const target = await resolveTarget({ ...options, startLocal: false }).catch(() => undefined);
  const region = target?.region ?? options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const example = newRolloutId(spec.service, spec.model.id);
  const image = resolveImageUri(spec.model.image, region);
  const live =
    target === undefined
      ? undefined
      : await readLivePointer(target.clients.ssm, target.prefix, spec.service).catch(() => undefined);
  await target?.close();
  const plan = {
    spec: describeSpec(spec),
    region,
    rolloutId: example,
    create: {
      model: {
        name: example,
        image,
        environment: {
          ...spec.model.env,
          HF_MODEL_ID: spec.model.id,
          HF_TASK: spec.model.task,
          HF_MODEL_REVISION: spec.model.revision,
        },
      },
      endpointConfig: { name: example, variant: spec.endpoint },
      endpoint: { name: example },
    },
    smokeTests: spec.smokeTests.map((t) => t.name),
    wait: {
      pollIntervalSeconds: spec.rollout.pollIntervalSeconds,
      maxWaitMinutes: spec.rollout.maxWaitMinutes,
    },
    liveNow:
      live === undefined
        ? 'unknown (no target reachable)'
        : live === null
          ? 'nothing deployed'
          : live.current.endpointName,
    keep: spec.rollout.keepPreviousEndpoints,
  };
  out.line(`Plan for ${file} (nothing is created):`);
  out.line(`  ${plan.spec}`);
  out.line(`  would create model, endpoint config and endpoint named like ${pc.bold(example)}`);
  out.line(`  image        ${image}`);
  out.line(
    `  environment  ${Object.entries(plan.create.model.environment)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  out.line(
    `  then wait    every ${spec.rollout.pollIntervalSeconds} s, at most ${spec.rollout.maxWaitMinutes} min, for InService`,
  );
  out.line(`  smoke tests  ${plan.smokeTests.join(', ')}`);
  out.line(
    `  live now     ${plan.liveNow}; after success the API switches to the new endpoint and keeps ${plan.keep} previous one(s)`,
  );
  out.result(plan);
}

/** `rollout deploy <spec>` */
export async function deployCommand(
  file: string,
  options: CommonOptions & { wait?: boolean },
): Promise<void> {
  const out = printer(options.json === true);
  const { spec, raw } = loadSpec(file);
  await withTarget(options, out, async (target) => {
    out.line(`Spec ${file}: ${describeSpec(spec)}`);
    const registration = await target.ensureService(spec.service);
    const rolloutId = newRolloutId(spec.service, spec.model.id);
    const by = requester();
    const interrupt = options.wait === false ? undefined : listenForInterrupt();
    const started = await target.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: target.rolloutStateMachineArn,
        name: rolloutId,
        input: JSON.stringify({ spec: raw, requestedBy: by }),
      }),
    );
    const executionArn = started.executionArn ?? executionArnOf(target.rolloutStateMachineArn, rolloutId);
    out.line(`Rollout ${pc.bold(rolloutId)} started by ${by}`);
    if (options.wait === false) {
      out.line(`Not waiting (--no-wait). Follow it with: npx rollout status ${rolloutId} --follow`);
      out.result({ rolloutId, executionArn, status: 'RUNNING' });
      return;
    }
    const detail = await follow(target, executionArn, out, interrupt);
    await summarize(target, detail, registration, out, sampleBody(spec));
  });
}

/** `rollout rollback --service <name>` */
export async function rollbackCommand(
  options: CommonOptions & { service: string; to?: string; reason?: string; wait?: boolean },
): Promise<void> {
  const out = printer(options.json === true);
  await withTarget(options, out, async (target) => {
    // Read only: a rollback of a service that does not exist must not create it.
    const registration = await findService(target, options.service);
    const live = await readLivePointer(target.clients.ssm, target.prefix, options.service);
    if (live === null)
      throw new UsageError(`Service ${options.service} has no deployment; nothing to roll back.`);
    const to =
      options.to === undefined ? live.previous[0] : live.previous.find((t) => t.rolloutId === options.to);
    if (to === undefined) {
      const kept = live.previous.map((t) => t.rolloutId).join(', ') || 'none';
      throw new UsageError(
        `Cannot roll back ${options.service}${options.to === undefined ? '' : ` to ${options.to}`}: kept deployments: ${kept}. Live: ${live.current.rolloutId}.`,
      );
    }
    out.line(
      `Rolling back ${options.service}: ${live.current.endpointName} → ${pc.bold(to.endpointName)} (${to.modelId})`,
    );
    const rolloutId = newRollbackId(options.service);
    const input = {
      kind: 'rollback',
      service: options.service,
      toRolloutId: to.rolloutId,
      // What this command showed as live: a deployment landing before the rollback takes the lock must
      // not be undone by it.
      fromRolloutId: live.current.rolloutId,
      reason: options.reason ?? 'manual rollback',
      requestedBy: requester(),
    };
    const started = await target.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: target.rolloutStateMachineArn,
        name: rolloutId,
        input: JSON.stringify(input),
      }),
    );
    const executionArn = started.executionArn ?? executionArnOf(target.rolloutStateMachineArn, rolloutId);
    out.line(`Rollback ${pc.bold(rolloutId)} started`);
    if (options.wait === false) {
      out.line(`Not waiting (--no-wait). Follow it with: npx rollout status ${rolloutId} --follow`);
      out.result({ rolloutId, executionArn, status: 'RUNNING' });
      return;
    }
    const detail = await follow(target, executionArn, out);
    await summarize(target, detail, registration, out, '{"inputs": "I love this"}');
  });
}

/** Ctrl-C while a command follows a rollout: aborts `controller` instead of killing the process. */
interface InterruptListener {
  readonly controller: AbortController;
  readonly dispose: () => void;
}

/**
 * Listens for Ctrl-C from now on. Until a listener exists SIGINT kills the process at once, so a
 * command takes this before it prints the id of a rollout it started (a person or a script may press
 * Ctrl-C as soon as it is printed).
 */
function listenForInterrupt(): InterruptListener {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  // `on`, not `once`: a Ctrl-C often arrives twice (the terminal signals the whole process group and
  // npm/npx forwards it again), and a second one must not kill the CLI before it has said what goes on.
  process.on('SIGINT', onSigint);
  return { controller, dispose: () => process.off('SIGINT', onSigint) };
}

async function follow(
  target: Target,
  executionArn: string,
  out: Printer,
  interrupt: InterruptListener = listenForInterrupt(),
): Promise<RolloutDetail> {
  const steps = new StepPrinter(out);
  const { controller } = interrupt;
  try {
    const detail = await followRollout(
      target.clients.sfn,
      executionArn,
      { onStepDone: (s) => steps.step(s) },
      {
        pollMs: target.kind === 'local' ? 250 : 3000,
        signal: controller.signal,
        live: proxyLiveLookup(target.clients, target.prefix),
      },
    );
    steps.flush();
    return detail;
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    const id = executionArn.split(':').pop() ?? executionArn;
    if (target.local?.embedded === true) {
      // The cloud lives in this process: it stops with it, and so does the rollout.
      throw new InterruptedError(
        `Stopped following. The local cloud started for this command stops with it, so rollout ${id} stops too (the next start marks it failed). Run \`npx rollout up\` in another terminal so that rollouts go on without the CLI; then see it with: npx rollout status ${id}`,
        { cause: error },
      );
    }
    throw new InterruptedError(
      `Stopped following. Rollout ${id} goes on; follow it again with: npx rollout status ${id} --follow`,
      { cause: error },
    );
  } finally {
    // Once interrupted, the listener stays (a no-op now) until the process ends on its own; signal
    // listeners do not keep it alive.
    if (!controller.signal.aborted) interrupt.dispose();
  }
}

async function summarize(
  target: Target,
  r: RolloutDetail,
  registration: ServiceRegistration,
  out: Printer,
  sampleBody: string,
): Promise<void> {
  out.line();
  if (r.status !== 'SUCCEEDED') {
    const step = r.failure?.step ?? '?';
    out.line(
      `${pc.red('✘')} ${r.kind === 'rollback' ? 'Rollback' : 'Rollout'} ${r.rolloutId} ${r.status.toLowerCase()} at ${pc.bold(step)} (${r.failure?.error ?? r.status}) after ${formatDuration(r.durationMs)}`,
    );
    printFailure(out, r);
    out.line(`  Details: npx rollout status ${r.rolloutId}`);
    // With --json the rollout goes inside the error object: stdout stays one JSON document.
    const result = r.record ?? r;
    if (r.failure?.error === 'RolloutInProgress')
      throw new RolloutBlockedError(`Another rollout of ${r.service ?? 'this service'} is in progress.`, {
        result,
      });
    throw new RolloutFailedError(`${r.rolloutId} failed at ${step}`, { result });
  }
  out.result(r.record ?? r);
  out.line(
    `${pc.green('✔')} ${r.kind === 'rollback' ? 'Rollback' : 'Rollout'} ${pc.bold(r.rolloutId)} succeeded in ${formatDuration(r.durationMs)}`,
  );
  out.line(
    `  endpoint    ${r.endpointName ?? '—'}${r.model === null ? '' : ` (${r.model.id}@${r.model.revision})`}`,
  );
  out.line(`  previous    ${r.previousEndpoint ?? '(none)'}`);
  if (r.record !== null) {
    printSmoke(out, 'smoke tests (new endpoint):', r.record.smoke);
    if (r.record.publicCheck !== null) printSmoke(out, 'public API check:', [r.record.publicCheck]);
    for (const w of r.record.warnings) out.line(`  ${pc.yellow('warning')} ${w}`);
  }
  const key = await apiKey(target, registration);
  out.line(`  call it     POST ${registration.publicUrl}/predict`);
  out.line(
    `    curl -s ${key === null ? '' : `-H 'x-api-key: ${key}' `}-H 'content-type: application/json' -d '${sampleBody.replace(/'/g, "'\\''")}' ${registration.publicUrl}/predict`,
  );
  if (target.local?.embedded === true)
    out.line(pc.dim('    (the local URL answers while a local cloud runs: `npx rollout up`)'));
  out.line(`  history     npx rollout history   ·   this rollout: npx rollout status ${r.rolloutId}`);
}

async function apiKey(target: Target, registration: ServiceRegistration): Promise<string | null> {
  if (registration.apiKeySecretId === null) return null;
  try {
    const out = await target.clients.secrets.send(
      new GetSecretValueCommand({ SecretId: registration.apiKeySecretId }),
    );
    return out.SecretString ?? null;
  } catch {
    return '<api key: see the ApiKeySecretArn stack output>';
  }
}

/** `rollout status <rollout>` */
export async function statusCommand(
  rollout: string,
  options: CommonOptions & { follow?: boolean; verbose?: boolean },
): Promise<void> {
  const out = printer(options.json === true);
  await withTarget({ ...options, startLocal: true }, out, async (target) => {
    const arn = executionArnOf(target.rolloutStateMachineArn, rollout);
    const detail = await knownRollout(rollout, () =>
      options.follow === true
        ? follow(target, arn, out)
        : getRollout(target.clients.sfn, arn, { live: proxyLiveLookup(target.clients, target.prefix) }),
    );
    printDetail(out, detail, { verbose: options.verbose === true, steps: options.follow !== true });
    out.result(detail);
  });
}

/** `rollout history` */
export async function historyCommand(
  options: CommonOptions & { service?: string; status?: string; limit?: number; nextToken?: string },
): Promise<void> {
  const out = printer(options.json === true);
  const statuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
  const status = options.status?.toUpperCase();
  if (status !== undefined && !(statuses as readonly string[]).includes(status)) {
    throw new UsageError(`--status must be one of ${statuses.join(', ')}; got ${options.status}`);
  }
  await withTarget(options, out, async (target) => {
    const page = await listRollouts(target.clients.sfn, target.rolloutStateMachineArn, {
      ...(options.service === undefined ? {} : { service: options.service }),
      ...(status === undefined ? {} : { status: status as (typeof statuses)[number] }),
      pageSize: options.limit ?? 20,
      ...(options.nextToken === undefined ? {} : { nextToken: options.nextToken }),
      live: proxyLiveLookup(target.clients, target.prefix),
    }).catch((error: unknown) => {
      if (error instanceof Error && error.name === 'InvalidToken') {
        throw new NotFoundError(
          `--next-token is not a token printed by \`rollout history\` for these filters (${error.message}); run \`npx rollout history\` again.`,
          { cause: error },
        );
      }
      throw error;
    });
    printHistory(out, page.rollouts, page.nextToken, { service: options.service, status });
    out.result(page);
  });
}

/** `rollout health [--service <name>]`: runs the health check now. */
export async function healthCommand(options: CommonOptions & { service: string }): Promise<void> {
  const out = printer(options.json === true);
  await withTarget(options, out, async (target) => {
    // Read only: a check of a service that does not exist would record a health result for it.
    await findService(target, options.service);
    // StartSyncExecution has a `sync-` host prefix on AWS; a custom endpoint (the local cloud) has none.
    const sfn =
      target.kind === 'local' && target.local !== undefined
        ? new SFNClient({
            region: target.region,
            endpoint: target.local.endpoint,
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
            disableHostPrefix: true,
          })
        : target.clients.sfn;
    const result = await sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn: target.healthCheckStateMachineArn,
        input: JSON.stringify({ service: options.service }),
      }),
    );
    if (sfn !== target.clients.sfn) sfn.destroy();
    const output = parseJson(result.output) as
      { healthy?: boolean; summary?: string; live?: unknown } | undefined;
    const check = { status: result.status, error: result.error, cause: result.cause, output };
    if (result.status === 'SUCCEEDED') {
      out.result(check);
      // The summary is a whole sentence ("Service x is healthy: 3 of 3 checks passed ...").
      const said =
        output?.live === null
          ? `${options.service} is not deployed yet (nothing to check)`
          : (output?.summary ?? `${options.service} is healthy`);
      out.line(`${pc.green('✔')} ${said}`);
      return;
    }
    out.line(
      `${pc.red('✘')} ${options.service} is unhealthy: ${result.cause ?? result.error ?? result.status}`,
    );
    throw new RolloutFailedError(`health check of ${options.service} failed`, { result: check });
  });
}
