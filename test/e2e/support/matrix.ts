import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { FaultRule } from '../../../local/faults';
import { listServices } from '../../../pipeline/console/api';
import { resolveTarget } from '../../../pipeline/target';
import type { RolloutSummary } from '../../../pipeline/history';
import {
  DEFAULT_PREFIX,
  healthCheckStateMachineName,
  newRollbackId,
  stepFunctionName,
} from '../../../pipeline/names';
import { REGION, ROLLOUT_STATE_MACHINE_ARN, type E2eCloud, type RolloutOutcome } from './cloud';
import { wholeInventory } from './inventory';
import { freePort, spawnCloud, type CloudProcess, type CloudProcessOptions } from './processes';
import { rolloutIdFor, specVersion } from './specs';

/**
 * The crash and error matrices (issue 9): one rollout (or rollback) per cell, held at one Task state by
 * a declared delay fault, the local cloud killed there and started again on the same data folder and
 * ports; then the invariants of "one truth about what is live" are checked, each on its own, so a
 * cell reports every invariant it breaks, and a table of cells × invariants is printed.
 */

export const SERVICE = 'sentiment';
const REVIEW = { inputs: 'I love this product' };
const HEALTH_STATE_MACHINE_ARN = `arn:aws:states:${REGION}:000000000000:stateMachine:${healthCheckStateMachineName(DEFAULT_PREFIX)}`;

/** A delay long enough that the held state is still running when the cloud is killed (real ms). */
export const HOLD_MS = 300_000;

/** Lambda.Invoke of a step function (Tasks send the function ARN), held for HOLD_MS. */
export function holdStep(functionId: string, skip = 0): FaultRule {
  return {
    operation: 'Lambda.Invoke',
    match: { FunctionName: `*:function:${stepFunctionName(DEFAULT_PREFIX, functionId)}` },
    outcome: { delayMs: HOLD_MS },
    count: 1,
    ...(skip === 0 ? {} : { skip }),
  };
}

/** Any operation held for HOLD_MS (the `skip`-th+1 matching call). */
export function holdCall(operation: string, match: Record<string, unknown>, skip = 0): FaultRule {
  return { operation, match, outcome: { delayMs: HOLD_MS }, count: 1, ...(skip === 0 ? {} : { skip }) };
}

/** Makes a rollout fail right after its switch (Refresh CDN), so Roll Back restores the API. */
export const FAIL_AFTER_SWITCH: FaultRule = {
  operation: 'CloudFront.CreateInvalidation',
  outcome: {
    error: 'AccessDenied',
    status: 403,
    message: 'User is not authorized to perform cloudfront:CreateInvalidation',
  },
};

/** The local cloud in its own process, killed and started again on the same data folder and ports. */
export class CrashableCloud {
  private constructor(
    private options: CloudProcessOptions,
    private running: CloudProcess,
  ) {}

  static async start(): Promise<CrashableCloud> {
    const options: CloudProcessOptions = {
      dataDir: mkdtempSync(join(tmpdir(), 'hf-rollout-e2e-matrix-')),
      port: await freePort(),
      edgePort: await freePort(),
      timeScale: 0.001,
      services: [SERVICE],
    };
    return new CrashableCloud(options, await spawnCloud(options));
  }

  get cloud(): E2eCloud {
    return this.running.cloud;
  }

  /** SIGKILL, wait until no process of its group is left (the data folder's claim), start again. */
  async crashAndRestart(): Promise<void> {
    const { pid } = this.running;
    await this.running.kill();
    // kill() resolves when npx exits; the cloud's node process may still be dying, and a live pid
    // keeps the data folder claimed.
    for (const deadline = Date.now() + 30_000; groupAlive(pid);) {
      if (Date.now() > deadline) throw new Error(`process group ${pid} still alive 30 s after SIGKILL`);
      await sleep(50);
    }
    this.running = await spawnCloud(this.options);
  }

  /** A new, empty data folder (same ports): for a cell whose predecessor left the service broken. */
  async fresh(): Promise<void> {
    await this.running.stop();
    rmSync(this.options.dataDir, { recursive: true, force: true });
    this.options = { ...this.options, dataDir: mkdtempSync(join(tmpdir(), 'hf-rollout-e2e-matrix-')) };
    this.running = await spawnCloud(this.options);
  }

  async close(): Promise<void> {
    await this.running.stop();
    rmSync(this.options.dataDir, { recursive: true, force: true });
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One answer of the public API sampled during a cell (status null: the cloud was not answering). */
interface Sample {
  readonly at: number;
  readonly status: number | null;
  readonly servedBy: string | null;
  readonly body: string;
}

/**
 * Asks the public API every `everyMs` during a cell, except while the harness has the cloud down:
 * the evidence for "the serving endpoint was never deleted while it served" (an endpoint deleted
 * while the proxy still calls it answers 4xx/5xx here).
 */
export class ApiSampler {
  readonly samples: Sample[] = [];
  private paused = false;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly apiKey: string | null,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Pauses sampling and waits for the request in flight. */
  async pause(): Promise<void> {
    this.paused = true;
    await sleep(this.everyMs + 50);
    this.samples.splice(0, this.samples.length, ...this.samples.filter((s) => s.status !== null));
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<readonly Sample[]> {
    this.stopped = true;
    await this.loop;
    return this.samples;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.paused) {
        const at = Date.now();
        try {
          const res = await fetch(this.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(this.apiKey === null ? {} : { 'x-api-key': this.apiKey }),
            },
            body: JSON.stringify(REVIEW),
            signal: AbortSignal.timeout(30_000),
          });
          const body = await res.text();
          if (!this.paused) {
            this.samples.push({
              at,
              status: res.status,
              servedBy: res.headers.get('x-served-by-endpoint'),
              body,
            });
          }
        } catch (error) {
          if (!this.paused) this.samples.push({ at, status: null, servedBy: null, body: String(error) });
        }
      }
      await sleep(this.everyMs);
    }
  }
}

/** Every view of "what is live", read at one moment. */
export interface LiveViews {
  /** What the public API answered. */
  readonly status: number;
  readonly served: string | null;
  readonly servedStatus: string | null;
  readonly proxy: string | null;
  readonly pointer: string | null;
  readonly pending: unknown;
  readonly console: string | null;
  /** endpointName of the history rows marked `live` (exactly one when history says what is live). */
  readonly historyLive: readonly (string | null)[];
  readonly history: readonly RolloutSummary[];
}

/** Reads the public API, the proxy's environment, the pointer, the console's "Live now" and history. */
export async function liveViews(cloud: E2eCloud): Promise<LiveViews> {
  const answer = await cloud.callApi(SERVICE, REVIEW);
  const servedStatus = answer.servedBy === null ? null : await endpointStatus(cloud, answer.servedBy);
  const pointer = await cloud.livePointer(SERVICE);
  const target = await resolveTarget({ endpoint: cloud.endpoint, startLocal: false });
  let consoleLive: string | null;
  try {
    const services = await listServices(target);
    consoleLive = services.find((s) => s.service === SERVICE)?.live?.endpointName ?? null;
  } finally {
    await target.close();
  }
  const history = await cloud.history(SERVICE);
  return {
    status: answer.status,
    served: answer.servedBy,
    servedStatus,
    // No ENDPOINT_NAME: the proxy falls back to the pointer's current (DESIGN: one truth).
    proxy: (await cloud.proxyEndpointName(SERVICE)) ?? pointer?.current.endpointName ?? null,
    pointer: pointer?.current.endpointName ?? null,
    pending: (pointer as unknown as Record<string, unknown> | null)?.pending,
    console: consoleLive,
    historyLive: history
      .filter((r) => (r as unknown as Record<string, unknown>).live === true)
      .map((r) => r.endpointName ?? r.rolloutId),
    history,
  };
}

async function endpointStatus(cloud: E2eCloud, name: string): Promise<string | null> {
  try {
    const out = await cloud.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    return out.EndpointStatus ?? null;
  } catch {
    return null;
  }
}

/** The views that disagree with what the API serves, e.g. ["pointer=X", "history live=[]"]; [] when all agree. */
export function disagreements(views: LiveViews): string[] {
  const out: string[] = [];
  if (views.served === null) out.push(`API served nothing (${views.status})`);
  for (const [name, value] of [
    ['proxy', views.proxy],
    ['pointer', views.pointer],
    ['console', views.console],
  ] as const) {
    if (value !== views.served) out.push(`${name}=${value ?? 'null'}`);
  }
  if (views.historyLive.length !== 1 || views.historyLive[0] !== views.served) {
    out.push(`history live=${JSON.stringify(views.historyLive)}`);
  }
  if (views.pending !== undefined && views.pending !== null)
    out.push(`pointer pending=${JSON.stringify(views.pending)}`);
  return out;
}

/** Runs the service's health check now (as `rollout health` does). */
export async function runHealthCheck(cloud: E2eCloud): Promise<{ healthy: boolean; said: string }> {
  const sfn = new SFNClient({
    region: REGION,
    endpoint: cloud.endpoint,
    credentials: { accessKeyId: 'e2e', secretAccessKey: 'e2e' },
    disableHostPrefix: true,
  });
  try {
    const result = await sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn: HEALTH_STATE_MACHINE_ARN,
        input: JSON.stringify({ service: SERVICE }),
      }),
    );
    const output = (result.output === undefined ? undefined : JSON.parse(result.output)) as
      { healthy?: boolean; summary?: string } | undefined;
    return {
      healthy: result.status === 'SUCCEEDED' && output?.healthy === true,
      said: output?.summary ?? result.cause ?? result.error ?? String(result.status),
    };
  } finally {
    sfn.destroy();
  }
}

/**
 * What exists beyond live + kept: SageMaker endpoints, configs and models other than the pointer's
 * current and previous ones (and the config and models each of those uses), lock items, a pending
 * switch. [] when the inventory is exactly live + kept.
 */
export async function beyondLiveAndKept(cloud: E2eCloud): Promise<string[]> {
  // An endpoint Retire Old Endpoints (or Roll Back) is deleting is on its way out: wait it out (a few
  // AWS minutes, time-scaled) before calling it left behind.
  for (const deadline = Date.now() + 20_000; ; await sleep(250)) {
    const problems = await beyondLiveAndKeptNow(cloud);
    if (!problems.some((p) => p.endsWith('(Deleting)')) || Date.now() > deadline) return problems;
  }
}

async function beyondLiveAndKeptNow(cloud: E2eCloud): Promise<string[]> {
  const pointer = await cloud.livePointer(SERVICE);
  const wanted = pointer === null ? [] : [pointer.current, ...pointer.previous].map((t) => t.endpointName);
  const inventory = (await cloud.inventory()) as {
    sagemaker?: {
      models?: { name: string }[];
      endpointConfigs?: { name: string }[];
      endpoints?: { name: string; configName?: string; status: string }[];
    };
    dynamodb?: { tables?: Record<string, unknown[]> };
  };
  const endpoints = inventory.sagemaker?.endpoints ?? [];
  const problems: string[] = [];
  const configsUsed = new Set<string>();
  const modelsUsed = new Set<string>();
  for (const name of wanted) {
    const e = endpoints.find((x) => x.name === name);
    if (e === undefined) {
      problems.push(`kept endpoint ${name} missing`);
      continue;
    }
    if (e.status !== 'InService') problems.push(`kept endpoint ${name} is ${e.status}`);
    if (e.configName === undefined) continue;
    configsUsed.add(e.configName);
    try {
      const config = await cloud.clients.sagemaker.send(
        new DescribeEndpointConfigCommand({ EndpointConfigName: e.configName }),
      );
      for (const v of config.ProductionVariants ?? [])
        if (v.ModelName !== undefined) modelsUsed.add(v.ModelName);
    } catch {
      problems.push(`config ${e.configName} of kept endpoint ${name} missing`);
    }
  }
  for (const e of endpoints) if (!wanted.includes(e.name)) problems.push(`endpoint ${e.name} (${e.status})`);
  for (const c of inventory.sagemaker?.endpointConfigs ?? [])
    if (!configsUsed.has(c.name)) problems.push(`endpoint config ${c.name}`);
  for (const m of inventory.sagemaker?.models ?? [])
    if (!modelsUsed.has(m.name)) problems.push(`model ${m.name}`);
  for (const lock of inventory.dynamodb?.tables?.['hf-rollout-locks'] ?? [])
    problems.push(`lock ${JSON.stringify(lock)}`);
  const pending = (pointer as unknown as Record<string, unknown> | null)?.pending;
  if (pending !== undefined && pending !== null) problems.push(`pointer pending ${JSON.stringify(pending)}`);
  return problems;
}

/** Status of an execution now. */
export async function executionStatus(cloud: E2eCloud, executionArn: string): Promise<string> {
  const out = await cloud.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  return out.status ?? 'UNKNOWN';
}

/** Waits until every rule in `ids` has fired, or the execution has ended: true when held. */
export async function waitUntilHeld(
  cloud: E2eCloud,
  executionArn: string,
  operation: string,
  timeoutMs = 90_000,
): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const faults = (await cloud.faults()).faults as {
      operation: string;
      outcome?: { delayMs?: number };
      fired: number;
    }[];
    if (faults.some((f) => f.operation === operation && f.outcome?.delayMs === HOLD_MS && f.fired > 0)) {
      return true;
    }
    if ((await executionStatus(cloud, executionArn)) !== 'RUNNING') return false;
    if (Date.now() > deadline) throw new Error(`${operation} hold never fired within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A rollback of the service to its first kept deployment, as `rollout rollback` starts it. */
export async function rollbackInput(cloud: E2eCloud): Promise<Record<string, unknown>> {
  const pointer = await cloud.livePointer(SERVICE);
  const to = pointer?.previous[0];
  if (pointer === null || to === undefined) throw new Error('nothing kept to roll back to');
  return {
    kind: 'rollback',
    service: SERVICE,
    toRolloutId: to.rolloutId,
    fromRolloutId: pointer.current.rolloutId,
    reason: 'crash matrix',
    requestedBy: 'e2e-test',
  };
}

let version = 1;

/** The next version of the example spec with a fresh rollout id. */
export function nextSpec(): { spec: ReturnType<typeof specVersion>; rolloutId: string } {
  const spec = specVersion(version++);
  return { spec, rolloutId: rolloutIdFor(spec) };
}

/** Deploys the next version; the outcome whatever it is. */
export async function deployNext(cloud: E2eCloud): Promise<RolloutOutcome> {
  const { spec, rolloutId } = nextSpec();
  return cloud.runRollout(spec, { rolloutId, timeoutMs: 120_000 });
}

/** One invariant of a cell: held (true), broken (false, with why) or not applicable. */
export type Verdict =
  | { readonly held: true }
  | { readonly held: false; readonly why: string }
  | { readonly held: 'n/a'; readonly why: string };

/** A row of the printed table. */
export interface MatrixRow {
  readonly cell: string;
  readonly verdicts: Readonly<Record<string, Verdict>>;
  readonly seconds: number;
  readonly note?: string;
  /** Seconds per phase of the cell (where the time goes). */
  readonly phases?: Readonly<Record<string, number>>;
}

/** The table: cell → ✔/✘ per invariant, seconds per cell, then every ✘ with its reason. */
export function formatTable(title: string, columns: readonly string[], rows: readonly MatrixRow[]): string {
  const header = ['cell', ...columns, 's'];
  const lines = rows.map((r) => [
    r.cell + (r.note === undefined ? '' : ` (${r.note})`),
    ...columns.map((c) => {
      const v = r.verdicts[c];
      return v === undefined ? '?' : v.held === true ? '✔' : v.held === false ? '✘' : '–';
    }),
    r.seconds.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const total = rows.reduce((sum, r) => sum + r.seconds, 0);
  const why = rows.flatMap((r) =>
    Object.entries(r.verdicts)
      .filter(([, v]) => v.held !== true)
      .map(([c, v]) => `  ${v.held === false ? '✘' : '–'} ${r.cell} / ${c}: ${'why' in v ? v.why : ''}`),
  );
  const timing = rows
    .filter((r) => r.phases !== undefined)
    .map(
      (r) =>
        `  ${r.cell}: ${Object.entries(r.phases ?? {})
          .map(([p, sec]) => `${p} ${sec.toFixed(1)}`)
          .join(', ')}`,
    );
  return [
    `${title} (${rows.length} cells, ${total.toFixed(1)} s, ${(total / Math.max(rows.length, 1)).toFixed(1)} s per cell)`,
    fmt(header),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...lines.map(fmt),
    ...why,
    'seconds per phase:',
    ...timing,
  ].join('\n');
}

/** The broken invariants of a row, for the cell's assertion. */
export function broken(row: MatrixRow): string[] {
  return Object.entries(row.verdicts)
    .filter(([, v]) => v.held === false)
    .map(([c, v]) => `${c}: ${'why' in v ? v.why : ''}`);
}

/** A verdict from a list of problems. */
export function verdictOf(problems: readonly string[]): Verdict {
  return problems.length === 0 ? { held: true } : { held: false, why: problems.join('; ') };
}

/** A cell of the crash matrix: what runs, where it is held, and what else is declared. */
export interface CrashCell {
  /** Row label, e.g. "Create Model" or "Switch API Target: proxy updated, pointer not committed". */
  readonly name: string;
  readonly kind: 'deploy' | 'rollback';
  /** The delay fault that holds the execution at the cell's moment. */
  readonly hold: FaultRule;
  /** Faults that lead the execution there (e.g. a failure after the switch, for the failure path). */
  readonly lead?: readonly FaultRule[];
}

/** Columns of the crash matrix, in order. */
export const CRASH_COLUMNS = [
  'held there',
  'API 200 (restart)',
  'health ok',
  'agree (health)',
  'outcome (health)',
  'next ok',
  'agree (next)',
  'outcome (next)',
  'inv = live+kept',
  'never broke',
] as const;

/** Makes sure the service serves its pointer's current with one kept deployment and nothing else exists. */
async function baseline(cc: CrashableCloud): Promise<string | undefined> {
  const problems = async (): Promise<string[]> => {
    const { cloud } = cc;
    const pointer = await cloud.livePointer(SERVICE);
    const answer = await cloud.callApi(SERVICE, REVIEW);
    const found: string[] = [];
    if (pointer === null || pointer.previous.length === 0) found.push('no kept deployment');
    if (answer.status !== 200 || answer.servedBy !== pointer?.current.endpointName) {
      found.push(`API ${answer.status} from ${answer.servedBy ?? 'nothing'}`);
    }
    if ((await cloud.proxyEndpointName(SERVICE)) !== answer.servedBy) found.push('proxy differs');
    return [...found, ...(await beyondLiveAndKept(cloud))];
  };
  let found = await problems();
  if (found.length === 0) return undefined;
  if (found.length === 1 && found[0] === 'no kept deployment') {
    const next = nextSpec();
    await cc.cloud.deploy(next.spec, next);
    found = await problems();
    if (found.length === 0) return undefined;
  }
  // The previous cell left the service broken: start this one from a fresh cloud, and say so.
  await cc.fresh();
  for (let i = 0; i < 2; i++) {
    const next = nextSpec();
    await cc.cloud.deploy(next.spec, next);
  }
  return `fresh cloud: ${found.join('; ')}`;
}

/**
 * One cell: start the rollout (or rollback) with the hold declared, wait until it is held there,
 * SIGKILL the cloud, start it again, then check each invariant on its own.
 */
export async function runCrashCell(cc: CrashableCloud, cell: CrashCell): Promise<MatrixRow> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  let mark = started;
  const phase = (name: string): void => {
    phases[name] = (Date.now() - mark) / 1000;
    mark = Date.now();
  };
  const note = await baseline(cc);
  phase('baseline');
  const verdicts: Record<string, Verdict> = {};
  const na = (why: string): void => {
    for (const c of CRASH_COLUMNS) verdicts[c] ??= { held: 'n/a', why };
  };
  let cloud = cc.cloud;
  const key = await cloud.apiKey(SERVICE);
  const sampler = new ApiSampler(`${cloud.edgeUrl}/${SERVICE}/predict`, key);
  sampler.start();
  try {
    const { spec, rolloutId } =
      cell.kind === 'deploy' ? nextSpec() : { spec: undefined, rolloutId: newRollbackId(SERVICE) };
    await cloud.addFaults(...(cell.lead ?? []), cell.hold);
    const input = cell.kind === 'deploy' ? { spec, requestedBy: 'e2e-test' } : await rollbackInput(cloud);
    const { executionArn } = await startExecution(cloud, rolloutId, input);
    const held = await waitUntilHeld(cloud, executionArn, cell.hold.operation);
    phase('to hold');
    if (!held) {
      const end = await cloud.waitForEnd(executionArn);
      verdicts['held there'] = {
        held: false,
        why: `the execution ended ${end.status} (${end.error ?? ''}) without reaching the hold (behaviour not there yet?)`,
      };
      await cloud.clearFaults();
      na('not held');
      return {
        cell: cell.name,
        verdicts,
        seconds: (Date.now() - started) / 1000,
        ...(note === undefined ? {} : { note }),
      };
    }
    verdicts['held there'] = { held: true };
    await sampler.pause();
    await cc.crashAndRestart();
    cloud = cc.cloud;
    sampler.resume();
    phase('kill+restart');

    const atRestart = await liveViews(cloud);
    verdicts['API 200 (restart)'] = verdictOf(
      atRestart.status === 200 && atRestart.servedStatus === 'InService'
        ? []
        : [
            `answered ${atRestart.status} from ${atRestart.served ?? 'nothing'} (${atRestart.servedStatus ?? 'no endpoint'})`,
          ],
    );

    phase('views');
    const health = await runHealthCheck(cloud);
    phase('health');
    verdicts['health ok'] = verdictOf(health.healthy ? [] : [health.said]);
    const afterHealth = await liveViews(cloud);
    verdicts['agree (health)'] = verdictOf(
      disagreements(afterHealth).map((d) => `served ${afterHealth.served ?? 'null'} but ${d}`),
    );
    const interrupted = afterHealth.history.find((r) => r.rolloutId === rolloutId);
    const wasLive = interrupted?.kind === 'deploy' && interrupted.endpointName === afterHealth.served;
    verdicts['outcome (health)'] = verdictOf(outcomeProblems(interrupted, afterHealth.served));

    const next = nextSpec();
    phase('views 2');
    const outcome = await cloud.runRollout(next.spec, { rolloutId: next.rolloutId, timeoutMs: 120_000 });
    phase('next');
    verdicts['next ok'] = verdictOf(
      outcome.status === 'SUCCEEDED'
        ? []
        : [`${outcome.status}: ${outcome.error ?? ''} ${outcome.cause ?? ''}`],
    );
    const afterNext = await liveViews(cloud);
    verdicts['agree (next)'] = verdictOf([
      ...disagreements(afterNext).map((d) => `served ${afterNext.served ?? 'null'} but ${d}`),
      ...(outcome.status === 'SUCCEEDED' && afterNext.served !== next.rolloutId
        ? [`the next rollout succeeded but the API serves ${afterNext.served ?? 'nothing'}`]
        : []),
    ]);
    const replaced = afterNext.history.find((r) => r.rolloutId === rolloutId);
    verdicts['outcome (next)'] = verdictOf(
      outcomeProblems(replaced, afterNext.served, wasLive ? next.rolloutId : undefined),
    );
    verdicts['inv = live+kept'] = verdictOf(await beyondLiveAndKept(cloud));
    phase('checks');
  } finally {
    const samples = await sampler.stop();
    await cc.cloud.clearFaults().catch(() => undefined);
    const bad = samples.filter((s) => s.status !== 200);
    verdicts['never broke'] = verdictOf(
      bad
        .slice(0, 3)
        .map((s) => `${s.status ?? 'no answer'} from ${s.servedBy ?? '?'}: ${s.body.slice(0, 160)}`),
    );
    if (samples.length === 0) verdicts['never broke'] = { held: false, why: 'no sample taken' };
  }
  return {
    cell: cell.name,
    verdicts,
    seconds: (Date.now() - started) / 1000,
    phases,
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * What is wrong with an ended execution's recorded outcome (RolloutSummary.outcome / live), given
 * what the API serves now. A deployment is live when its endpoint is served (DESIGN: `live` marks
 * exactly the deployment the proxy serves, so a rollback row is never live; its outcome must say
 * whether it switched the API). `replacedBy`: the rollout that went live after it.
 */
export function outcomeProblems(
  row: RolloutSummary | undefined,
  served: string | null,
  replacedBy?: string,
): string[] {
  if (row === undefined) return ['not in history'];
  const r = row as unknown as Record<string, unknown>;
  const problems: string[] = [];
  if (row.status === 'RUNNING') problems.push('still RUNNING');
  const text = r.outcome;
  // A deployment's endpoint is named after its rollout id (pipeline/names.ts), recorded or not.
  const isLive = row.kind === 'deploy' && served !== null && (row.endpointName ?? row.rolloutId) === served;
  if (r.live !== isLive) {
    problems.push(`live=${JSON.stringify(r.live)} but the API serves ${served ?? 'nothing'}`);
  }
  if (typeof text !== 'string' || text.length === 0) {
    problems.push(`outcome=${JSON.stringify(text)}`);
  } else if (text.includes('?')) {
    problems.push(`outcome "${text}" does not name the step (failure.step is null)`);
  } else if (row.kind === 'rollback') {
    const switched = served !== null && row.endpointName === served;
    if (switched && !text.includes(served)) {
      problems.push(`outcome "${text}" does not say it switched the API to ${served}`);
    }
    if (!switched && /^(switched|returned)/i.test(text) && !/replaced/i.test(text)) {
      problems.push(`outcome "${text}" says it switched; the API serves ${served ?? 'nothing'}`);
    }
  } else if (isLive && !/\blive\b/i.test(text)) {
    problems.push(`outcome "${text}" does not say it is live`);
  } else if (!isLive && /^live\b/i.test(text)) {
    problems.push(`outcome "${text}" says live; the API serves ${served ?? 'nothing'}`);
  } else if (replacedBy !== undefined && !text.includes(replacedBy)) {
    problems.push(`outcome "${text}" does not name ${replacedBy}, which replaced it`);
  }
  return problems;
}

async function startExecution(
  cloud: E2eCloud,
  name: string,
  input: unknown,
): Promise<{ executionArn: string }> {
  const out = await cloud.clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: ROLLOUT_STATE_MACHINE_ARN,
      name,
      input: JSON.stringify(input),
    }),
  );
  if (out.executionArn === undefined) throw new Error('StartExecution returned no executionArn');
  return { executionArn: out.executionArn };
}

/** A cell of the error matrix: an AWS error where a step calls AWS, with its retries exhausted. */
export interface ErrorCell {
  readonly name: string;
  readonly kind: 'deploy' | 'rollback';
  /** Faults that lead the execution to the failing step (e.g. a failed smoke test, for Roll Back). */
  readonly lead?: (rolloutId: string) => readonly FaultRule[];
  /** The error; rolloutId scopes it to this execution's own resources. */
  readonly error: (rolloutId: string) => FaultRule;
  /** Declare the error only once this step function is invoked (its operation is also called earlier). */
  readonly armAt?: string;
  /** How the execution must end: failed at that step, or succeeded (errors caught after the switch). */
  readonly expect: { readonly status: 'FAILED'; readonly step: string } | { readonly status: 'SUCCEEDED' };
  /** The error leaves resources behind (Roll Back or Clean Up failed): the record must name each and how to remove it. */
  readonly leaves?: boolean;
  /** The error keeps the lock item (Release Lock refused): the next rollout must take it over. */
  readonly lockLeft?: boolean;
}

/** Columns of the error matrix, in order. */
export const ERROR_COLUMNS = [
  'ends as expected',
  'API serves right one',
  'agree',
  'outcome',
  'inventory unchanged',
  'names what is left',
  'next ok',
  'inv = live+kept',
] as const;

/** The rollout's own SageMaker resources (named after it) that exist now. */
async function leftovers(cloud: E2eCloud, rolloutId: string): Promise<{ kind: string; name: string }[]> {
  const inventory = (await cloud.inventory()) as {
    sagemaker?: {
      models?: { name: string }[];
      endpointConfigs?: { name: string }[];
      endpoints?: { name: string }[];
    };
  };
  const of = (kind: string, items: { name: string }[] | undefined): { kind: string; name: string }[] =>
    (items ?? []).filter((i) => i.name === rolloutId).map((i) => ({ kind, name: i.name }));
  return [
    ...of('endpoint', inventory.sagemaker?.endpoints),
    ...of('endpoint-config', inventory.sagemaker?.endpointConfigs),
    ...of('model', inventory.sagemaker?.models),
  ];
}

/** AWS CLI command that removes a SageMaker resource, as the record must name it. */
export function removeCommand(kind: string, name: string): string {
  if (kind === 'endpoint') return `aws sagemaker delete-endpoint --endpoint-name ${name}`;
  if (kind === 'endpoint-config')
    return `aws sagemaker delete-endpoint-config --endpoint-config-name ${name}`;
  return `aws sagemaker delete-model --model-name ${name}`;
}

/**
 * One error cell on a running cloud (in this process: nothing is killed): from a live deployment
 * with one kept, run the rollout (or rollback) with the error declared, then check each invariant.
 * `restart` replaces a cloud a previous cell left broken.
 */
export async function runErrorCell(
  current: () => E2eCloud,
  restart: () => Promise<void>,
  cell: ErrorCell,
): Promise<MatrixRow> {
  const started = Date.now();
  let note: string | undefined;
  const baselineProblems = async (): Promise<string[]> => {
    const cloud = current();
    const pointer = await cloud.livePointer(SERVICE);
    const answer = await cloud.callApi(SERVICE, REVIEW);
    return [
      ...(pointer === null || pointer.previous.length === 0 ? ['no kept deployment'] : []),
      ...(answer.status !== 200 || answer.servedBy !== pointer?.current.endpointName
        ? [`API ${answer.status} from ${answer.servedBy ?? 'nothing'}`]
        : []),
      ...(await beyondLiveAndKept(cloud)),
    ];
  };
  const found = await baselineProblems();
  if (found.length > 0) {
    note = `fresh cloud: ${found.join('; ')}`;
    await restart();
    for (let i = 0; i < 2; i++) {
      const next = nextSpec();
      await current().deploy(next.spec, next);
    }
  }
  const cloud = current();
  const verdicts: Record<string, Verdict> = {};
  const pointerBefore = await cloud.livePointer(SERVICE);
  const before = await wholeInventory(cloud);
  const { spec, rolloutId } =
    cell.kind === 'deploy' ? nextSpec() : { spec: undefined, rolloutId: newRollbackId(SERVICE) };
  const input = cell.kind === 'deploy' ? { spec, requestedBy: 'e2e-test' } : await rollbackInput(cloud);
  const toEndpoint =
    cell.kind === 'rollback' ? (pointerBefore?.previous[0]?.endpointName ?? null) : rolloutId;
  await cloud.addFaults(...(cell.lead?.(rolloutId) ?? []));
  if (cell.armAt === undefined) {
    await cloud.addFaults(cell.error(rolloutId));
  } else {
    await cloud.addFaults({
      operation: 'Lambda.Invoke',
      match: { FunctionName: `*:function:${stepFunctionName(DEFAULT_PREFIX, cell.armAt)}` },
      outcome: { delayMs: 1_500 },
      count: 1,
    });
  }
  const { executionArn } = await startExecution(cloud, rolloutId, input);
  if (cell.armAt !== undefined) {
    const armed = await waitUntilFired(cloud, executionArn);
    if (armed) await cloud.addFaults(cell.error(rolloutId));
  }
  const outcome = await cloud.waitForEnd(executionArn, 280_000);
  const fired = (await cloud.faults()).faults;
  await cloud.clearFaults();
  const detail = await cloud.rollout(executionArn);
  const errorFired = fired
    .filter((f) => f.operation !== 'Lambda.Invoke' || cell.armAt === undefined)
    .every((f) => f.fired > 0);

  const expected = cell.expect;
  verdicts['ends as expected'] = verdictOf([
    ...(errorFired ? [] : ['a declared fault never fired']),
    ...(outcome.status !== expected.status
      ? [`${outcome.status} (${outcome.error ?? ''}: ${outcome.cause ?? ''})`]
      : []),
    ...(expected.status === 'FAILED' && detail.failure?.step !== expected.step
      ? [`failed at ${detail.failure?.step ?? 'null'}, not ${expected.step}`]
      : []),
  ]);

  const views = await liveViews(cloud);
  const shouldServe =
    expected.status === 'SUCCEEDED' ? toEndpoint : (pointerBefore?.current.endpointName ?? null);
  verdicts['API serves right one'] = verdictOf(
    views.status === 200 && views.served === shouldServe
      ? []
      : [`answered ${views.status} from ${views.served ?? 'nothing'}; expected ${shouldServe ?? 'nothing'}`],
  );
  verdicts.agree = verdictOf(disagreements(views));
  const row = views.history.find((r) => r.rolloutId === rolloutId);
  verdicts.outcome = verdictOf(outcomeProblems(row, views.served));

  const left = await leftovers(cloud, rolloutId);
  if (expected.status === 'FAILED' && cell.leaves !== true && cell.lockLeft !== true) {
    const after = await wholeInventory(cloud);
    verdicts['inventory unchanged'] = verdictOf(
      JSON.stringify(after) === JSON.stringify(before) ? [] : [inventoryDiff(before, after)],
    );
  } else {
    verdicts['inventory unchanged'] = {
      held: 'n/a',
      why: expected.status === 'SUCCEEDED' ? 'it succeeded' : 'it leaves resources',
    };
  }
  if (cell.leaves === true) {
    const said = JSON.stringify({ record: detail.record, failure: detail.failure, row });
    const missing = left.filter((l) => !said.includes(removeCommand(l.kind, l.name)));
    verdicts['names what is left'] = verdictOf([
      ...(left.length === 0 ? ['nothing was left: the error did not leave what this cell tests'] : []),
      ...missing.map((l) => `the record does not name \`${removeCommand(l.kind, l.name)}\``),
    ]);
  } else {
    verdicts['names what is left'] = verdictOf(
      expected.status === 'FAILED' ? left.map((l) => `${l.kind} ${l.name} left`) : [],
    );
  }

  const next = nextSpec();
  const nextOutcome = await cloud.runRollout(next.spec, { rolloutId: next.rolloutId, timeoutMs: 120_000 });
  verdicts['next ok'] = verdictOf(
    nextOutcome.status === 'SUCCEEDED'
      ? []
      : [`${nextOutcome.status}: ${nextOutcome.error ?? ''} ${nextOutcome.cause ?? ''}`],
  );
  verdicts['inv = live+kept'] = verdictOf(await beyondLiveAndKept(cloud));
  return {
    cell: cell.name,
    verdicts,
    seconds: (Date.now() - started) / 1000,
    ...(note === undefined ? {} : { note }),
  };
}

async function waitUntilFired(cloud: E2eCloud, executionArn: string): Promise<boolean> {
  for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
    if ((await cloud.faults()).faults.some((f) => f.operation === 'Lambda.Invoke' && f.fired > 0))
      return true;
    if ((await executionStatus(cloud, executionArn)) !== 'RUNNING') return false;
    await sleep(20);
  }
  return false;
}

/** The top-level parts of two whole inventories that differ, shortened. */
function inventoryDiff(before: Record<string, unknown>, after: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = JSON.stringify(before[key]);
    const b = JSON.stringify(after[key]);
    if (a !== b)
      parts.push(
        `${key}: before ${(a ?? 'undefined').slice(0, 200)} after ${(b ?? 'undefined').slice(0, 200)}`,
      );
  }
  return parts.join(' | ');
}
