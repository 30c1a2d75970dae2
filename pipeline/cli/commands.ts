import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { StartExecutionCommand, StartSyncExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { parseSpec, resolveImageUri, type RolloutSpec } from '../spec';
import { newRollbackId, newRolloutId } from '../names';
import { resolveTarget, type Target, type TargetOptions } from '../target';
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
import { RolloutBlockedError, RolloutFailedError, UsageError } from '../errors';
import { formatDuration, pc, printer, type Printer } from './output';
import { StepPrinter, printDetail, printHistory, printSmoke } from './report';

/** Options every command accepts. */
export interface CommonOptions extends TargetOptions {
  readonly json?: boolean;
  readonly debug?: boolean;
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

/** Reads and validates a spec file (throws SpecInvalidError naming each field). */
export function loadSpec(file: string): { spec: RolloutSpec; raw: unknown } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `Cannot read spec file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const spec = parseSpec(text, file);
  return { spec, raw: JSON.parse(text) as unknown };
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
  out.line(pc.dim(target.description));
  try {
    return await fn(target);
  } finally {
    await target.close();
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
    const detail = await follow(target, executionArn, out);
    await summarize(target, detail, registration, out, sampleBody(spec));
  });
}

/** `rollout rollback --service <name>` */
export async function rollbackCommand(
  options: CommonOptions & { service: string; to?: string; reason?: string; wait?: boolean },
): Promise<void> {
  const out = printer(options.json === true);
  await withTarget(options, out, async (target) => {
    const registration = await target.ensureService(options.service);
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
    if (options.wait === false) {
      out.result({ rolloutId, executionArn, status: 'RUNNING' });
      return;
    }
    const detail = await follow(target, executionArn, out);
    await summarize(target, detail, registration, out, '{"inputs": "I love this"}');
  });
}

async function follow(target: Target, executionArn: string, out: Printer): Promise<RolloutDetail> {
  const steps = new StepPrinter(out);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const detail = await followRollout(
      target.clients.sfn,
      executionArn,
      { onStepDone: (s) => steps.step(s) },
      { pollMs: target.kind === 'local' ? 250 : 3000, signal: controller.signal },
    );
    steps.flush();
    return detail;
  } catch (error) {
    if (controller.signal.aborted) {
      out.line(
        `\nStopped following. The rollout goes on; follow it again with: npx rollout status ${executionArn.split(':').pop() ?? executionArn} --follow`,
      );
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
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
  out.result(r.record ?? r);
  if (r.status !== 'SUCCEEDED') {
    const step = r.failure?.step ?? '?';
    out.line(
      `${pc.red('✘')} ${r.kind === 'rollback' ? 'Rollback' : 'Rollout'} ${r.rolloutId} ${r.status.toLowerCase()} at ${pc.bold(step)} (${r.failure?.error ?? r.status}) after ${formatDuration(r.durationMs)}`,
    );
    if (r.failure !== null) out.line(`  ${r.failure.message}`);
    if (r.record !== null) printSmoke(out, 'smoke tests:', r.record.smoke);
    out.line(`  Details: npx rollout status ${r.rolloutId}`);
    if (r.failure?.error === 'RolloutInProgress')
      throw new RolloutBlockedError(`Another rollout of ${r.service ?? 'this service'} is in progress.`);
    throw new RolloutFailedError(`${r.rolloutId} failed at ${step}`);
  }
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
  options: CommonOptions & { follow?: boolean },
): Promise<void> {
  const out = printer(options.json === true);
  await withTarget({ ...options, startLocal: true }, out, async (target) => {
    const arn = executionArnOf(target.rolloutStateMachineArn, rollout);
    const detail =
      options.follow === true
        ? await follow(target, arn, out)
        : await getRollout(target.clients.sfn, arn, { live: proxyLiveLookup(target.clients, target.prefix) });
    printDetail(out, detail);
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
    });
    printHistory(out, page.rollouts, page.nextToken);
    out.result(page);
  });
}

/** `rollout health [--service <name>]`: runs the health check now. */
export async function healthCommand(options: CommonOptions & { service: string }): Promise<void> {
  const out = printer(options.json === true);
  await withTarget(options, out, async (target) => {
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
    out.result({ status: result.status, error: result.error, cause: result.cause, output });
    if (result.status === 'SUCCEEDED') {
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
    throw new RolloutFailedError(`health check of ${options.service} failed`);
  });
}
