import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { StateMachine } from 'aws-local-stepfunctions';
import { STEP_FUNCTIONS } from '../lambdas/catalog';
import { LocalCloud } from '../local/cloud';
import { substitutePlaceholders } from '../local/services/stepfunctions/definitions';
import { fullHistory } from '../pipeline/history';
import {
  DEFAULT_PREFIX,
  healthCheckStateMachineName,
  newRolloutId,
  proxyFunctionName,
  rolloutStateMachineName,
  stepFunctionName,
} from '../pipeline/names';
import { ApiCallCounter } from './api-calls';
import { ROOT } from './build-artifacts';
import { pollsUntilInService } from './cost-arithmetic';
import type { BenchContext } from './context';
import { sdkConfig } from './local-endpoint';
import { ms, type BenchmarkResult, type ResultTable } from './report';
import { median } from './stats';

/**
 * Real seconds per AWS second in the benchmark's local cloud (100x faster than AWS). Lambda code runs in
 * real time, so the scale must leave each scaled poll interval (300 ms) well above a Check Endpoint
 * invocation (tens of ms); at 0.001 the invocation would eat a third of each 30 ms wait and a rollout
 * would poll fewer times than on AWS. `--quick` uses 0.001 anyway (counts then run low).
 */
export const ROLLOUT_TIME_SCALE = 0.01;
/** The time scale of `--quick` runs. */
export const QUICK_ROLLOUT_TIME_SCALE = 0.001;
/** How long the local SageMaker keeps a new endpoint Creating when no fault says otherwise (AWS seconds). */
export const DEFAULT_CREATION_SECONDS = 240;

/** One Lambda invocation as its REPORT line tells it. */
export interface InvocationReport {
  readonly functionName: string;
  readonly memoryMb: number;
  readonly durationMs: number;
  readonly billedMs: number;
  /** Present on a cold start. */
  readonly initMs: number | null;
}

/** What one rollout measured. */
export interface RolloutMeasurement {
  readonly status: string;
  /** Execution start to stop, as Step Functions recorded it. */
  readonly wallMs: number;
  /** Endpoint creation time the emulator spent (creation seconds x time scale). */
  readonly emulatedSageMakerMs: number;
  /** wallMs - emulatedSageMakerMs. */
  readonly overheadMs: number;
  /** Time spent in Wait states (scaled poll intervals). */
  readonly waitMs: number;
  /** Time between Lambda started and finished events, summed. */
  readonly taskMs: number;
  /** State transitions as Standard workflows bill them: states entered plus Task retries. */
  readonly transitions: number;
  readonly lambdaInvocations: number;
  /** Check Endpoint runs. */
  readonly polls: number;
  readonly retries: number;
  /** The step functions' REPORT lines of this rollout. */
  readonly invocations: readonly InvocationReport[];
  /** Proxy invocations the rollout caused (Verify Public API through the edge). */
  readonly proxyInvocations: readonly InvocationReport[];
  /** Per Task state: entered count and summed duration. */
  readonly steps: Readonly<Record<string, { readonly count: number; readonly ms: number }>>;
  /** AWS API calls the handlers made during the rollout, by operation. */
  readonly apiCalls: Readonly<Record<string, number>>;
}

/** One rollout configuration and its runs. */
export interface RolloutConfigResult {
  readonly name: string;
  readonly smokeTests: number;
  readonly creationSeconds: number;
  /** Polls AWS would make: one per poll interval until InService, ceil(creation / interval). */
  readonly awsPolls: number;
  /** The first rollout of this configuration (for the first configuration: cold Lambda environments). */
  readonly warmup: RolloutMeasurement;
  readonly runs: readonly RolloutMeasurement[];
}

/** One health-check (Express) run. */
export interface HealthCheckMeasurement {
  readonly status: string;
  readonly wallMs: number;
  /** StartSyncExecution's billingDetails, as Express bills it. */
  readonly billedDurationMs: number;
  readonly billedMemoryMb: number;
  readonly invocations: readonly InvocationReport[];
  readonly proxyInvocations: readonly InvocationReport[];
  /** AWS API calls the handlers made during the check, by operation. */
  readonly apiCalls: Readonly<Record<string, number>>;
}

/** What the rollout benchmark hands to the cost model. */
export interface RolloutOverheadData {
  readonly timeScale: number;
  readonly pollIntervalSeconds: number;
  /** Name of the configuration that is "one rollout" for the cost model (the example spec). */
  readonly reference: string;
  readonly configs: readonly RolloutConfigResult[];
  readonly health: {
    readonly runs: readonly HealthCheckMeasurement[];
    /** Transitions of one healthy check, counted by running the ASL in the engine. */
    readonly transitions: number;
    readonly lambdaInvocations: number;
  };
}

/** The rollout benchmark's data from its result (the cost model reads it). */
export function rolloutData(result: BenchmarkResult | undefined): RolloutOverheadData {
  if (result?.name !== 'rollout-overhead') {
    throw new Error('The cost model needs the rollout-overhead benchmark to run first.');
  }
  return result.data as RolloutOverheadData;
}

interface SpecLike {
  service: string;
  model: { id: string };
  smokeTests: { name: string }[];
  rollout: { pollIntervalSeconds: number };
}

const REPORT_LINE =
  /^REPORT RequestId: \S+\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: \d+ MB(?:\tInit Duration: ([\d.]+) ms)?/;

/** Reads the REPORT lines functions appended to their log files since `offsets` was taken. */
class LogTail {
  private offsets = new Map<string, number>();

  constructor(private readonly dir: string) {}

  mark(names: readonly string[]): void {
    this.offsets = new Map(names.map((n) => [n, this.size(n)]));
  }

  reports(names: readonly string[]): InvocationReport[] {
    const out: InvocationReport[] = [];
    for (const name of names) {
      const file = join(this.dir, `${name}.log`);
      if (!existsSync(file)) continue;
      const text = readFileSync(file)
        .subarray(this.offsets.get(name) ?? 0)
        .toString('utf8');
      for (const line of text.split('\n')) {
        const m = REPORT_LINE.exec(line);
        if (m === null) continue;
        out.push({
          functionName: name,
          durationMs: Number(m[1]),
          billedMs: Number(m[2]),
          memoryMb: Number(m[3]),
          initMs: m[4] === undefined ? null : Number(m[4]),
        });
      }
    }
    return out;
  }

  private size(name: string): number {
    const file = join(this.dir, `${name}.log`);
    return existsSync(file) ? statSync(file).size : 0;
  }
}

const STEP_NAMES = STEP_FUNCTIONS.filter((f) => f.stateMachine === 'rollout').map((f) =>
  stepFunctionName(DEFAULT_PREFIX, f.id),
);
const HEALTH_NAMES = STEP_FUNCTIONS.filter((f) => f.stateMachine === 'health-check').map((f) =>
  stepFunctionName(DEFAULT_PREFIX, f.id),
);

/** A spec from the example with `smokeTests` tests (the example's three, repeated under new names). */
function specFor(example: SpecLike, service: string, smokeTests: number): SpecLike {
  const tests = Array.from({ length: smokeTests }, (_, i) => {
    const base = example.smokeTests[i % example.smokeTests.length];
    if (base === undefined) throw new Error('The example spec has no smoke tests.');
    return i < example.smokeTests.length ? base : { ...base, name: `${base.name} ${i + 1}` };
  });
  return { ...example, service, smokeTests: tests };
}

function eventTime(event: HistoryEvent): number {
  return event.timestamp === undefined ? Number.NaN : event.timestamp.getTime();
}

/** Counts and times from an execution's history. */
function analyseHistory(
  events: readonly HistoryEvent[],
): Pick<
  RolloutMeasurement,
  'waitMs' | 'taskMs' | 'transitions' | 'lambdaInvocations' | 'polls' | 'retries' | 'steps'
> {
  let waitMs = 0;
  let taskMs = 0;
  let entered = 0;
  let taskEntered = 0;
  let scheduled = 0;
  let polls = 0;
  let waitStarted = Number.NaN;
  let lambdaStarted = Number.NaN;
  const steps: Record<string, { count: number; ms: number }> = {};
  let current: { name: string; at: number } | undefined;
  for (const event of events) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) {
      entered += 1;
      const name = event.stateEnteredEventDetails?.name ?? '';
      if (type === 'TaskStateEntered') {
        taskEntered += 1;
        if (name === 'Check Endpoint') polls += 1;
        current = { name, at: eventTime(event) };
      }
      if (type === 'WaitStateEntered') waitStarted = eventTime(event);
    } else if (type === 'WaitStateExited') {
      waitMs += eventTime(event) - waitStarted;
    } else if (type === 'TaskStateExited' && current !== undefined) {
      const step = (steps[current.name] ??= { count: 0, ms: 0 });
      step.count += 1;
      step.ms += eventTime(event) - current.at;
      current = undefined;
    } else if (type === 'LambdaFunctionScheduled') {
      scheduled += 1;
    } else if (type === 'LambdaFunctionStarted') {
      lambdaStarted = eventTime(event);
    } else if (
      type === 'LambdaFunctionSucceeded' ||
      type === 'LambdaFunctionFailed' ||
      type === 'LambdaFunctionTimedOut'
    ) {
      taskMs += eventTime(event) - lambdaStarted;
    }
  }
  // Step Functions bills a retried Task attempt as a transition too; only Tasks invoke Lambda here.
  const retries = Math.max(0, scheduled - taskEntered);
  return {
    waitMs,
    taskMs,
    transitions: entered + retries,
    lambdaInvocations: scheduled,
    polls,
    retries,
    steps,
  };
}

/**
 * Rollout overhead: real local rollouts (the real ASL, the real bundled handlers) in a local cloud
 * running 100x faster than AWS. For each configuration (smoke tests 1/3/10/100; endpoint creation
 * 240/600/1200 AWS seconds through the declared fault SageMaker.EndpointLifecycle), alternating, several
 * rounds: wall time minus the emulated SageMaker time, state transitions and Lambda invocations (from
 * GetExecutionHistory), Lambda durations (from the functions' REPORT lines). Then health checks
 * (Express, StartSyncExecution) on the last service deployed.
 */
export async function benchRolloutOverhead(ctx: BenchContext): Promise<BenchmarkResult> {
  const started = performance.now();
  const rounds = ctx.quick ? 1 : 2;
  const healthRuns = ctx.quick ? 3 : 10;
  const timeScale = ctx.quick ? QUICK_ROLLOUT_TIME_SCALE : ROLLOUT_TIME_SCALE;
  const example = JSON.parse(readFileSync(join(ROOT, 'examples', 'sentiment.json'), 'utf8')) as SpecLike;
  const configs = [
    {
      name: 'example (3 smoke tests)',
      service: 'bench-ref',
      smokeTests: example.smokeTests.length,
      creationSeconds: DEFAULT_CREATION_SECONDS,
    },
    { name: '1 smoke test', service: 'bench-s1', smokeTests: 1, creationSeconds: DEFAULT_CREATION_SECONDS },
    {
      name: '10 smoke tests',
      service: 'bench-s10',
      smokeTests: 10,
      creationSeconds: DEFAULT_CREATION_SECONDS,
    },
    {
      name: '100 smoke tests',
      service: 'bench-s100',
      smokeTests: 100,
      creationSeconds: DEFAULT_CREATION_SECONDS,
    },
    { name: 'creation 600 s, 1 test', service: 'bench-c600', smokeTests: 1, creationSeconds: 600 },
    { name: 'creation 1200 s, 1 test', service: 'bench-c1200', smokeTests: 1, creationSeconds: 1200 },
  ] as const;

  const dataDir = mkdtempSync(join(tmpdir(), 'hf-rollout-bench-cloud-'));
  const cloud = await LocalCloud.start({ dataDir, port: 0, edgePort: 0, timeScale }).catch(
    (error: unknown) => {
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    },
  );
  const results = new Map<string, { warmup: RolloutMeasurement | undefined; runs: RolloutMeasurement[] }>();
  let health: RolloutOverheadData['health'];
  const clients: SFNClient[] = [];
  try {
    const config = sdkConfig(cloud);
    // Express synchronous starts go to a `sync-` host on AWS; the local endpoint has no such host.
    const sfn = new SFNClient({ ...config, disableHostPrefix: true });
    clients.push(sfn);
    const tail = new LogTail(join(dataDir, 'logs'));
    const calls = new ApiCallCounter(cloud);
    const proxyNames = configs.map((c) => proxyFunctionName(DEFAULT_PREFIX, c.service));
    const stateMachineArn = `arn:aws:states:${cloud.ctx.region}:${cloud.ctx.accountId}:stateMachine:${rolloutStateMachineName(DEFAULT_PREFIX)}`;

    const rollout = async (c: (typeof configs)[number]): Promise<RolloutMeasurement> => {
      const spec = specFor(example, c.service, c.smokeTests);
      tail.mark([...STEP_NAMES, ...proxyNames]);
      calls.mark();
      const out = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: newRolloutId(c.service, spec.model.id),
          input: JSON.stringify({ spec, requestedBy: 'bench' }),
        }),
      );
      const executionArn = out.executionArn ?? '';
      let described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      let describes = 1;
      const deadline = Date.now() + 120_000;
      while (described.status === 'RUNNING' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        describes += 1;
      }
      const apiCalls = calls.since({
        'StepFunctions.StartExecution': 1,
        'StepFunctions.DescribeExecution': describes,
      });
      if (described.status !== 'SUCCEEDED') {
        throw new Error(
          `Rollout ${executionArn} ended ${described.status ?? 'unknown'}: ${described.error ?? ''} ${described.cause?.slice(0, 500) ?? ''}`,
        );
      }
      const wallMs =
        (described.stopDate?.getTime() ?? Number.NaN) - (described.startDate?.getTime() ?? Number.NaN);
      const emulatedSageMakerMs = c.creationSeconds * 1000 * timeScale;
      return {
        status: described.status,
        wallMs,
        emulatedSageMakerMs,
        overheadMs: wallMs - emulatedSageMakerMs,
        ...analyseHistory(await fullHistory(sfn, executionArn)),
        invocations: tail.reports(STEP_NAMES),
        proxyInvocations: tail.reports(proxyNames),
        apiCalls,
      };
    };

    for (const c of configs) {
      await cloud.compute.provisionService(c.service);
      if (c.creationSeconds !== DEFAULT_CREATION_SECONDS) {
        cloud.faults.add({
          operation: 'SageMaker.EndpointLifecycle',
          match: { EndpointName: `${c.service}-*` },
          outcome: { creationSeconds: c.creationSeconds },
        });
      }
      results.set(c.name, { warmup: undefined, runs: [] });
    }
    for (let round = 0; round <= rounds; round += 1) {
      for (const c of configs) {
        ctx.progress(
          `rollout-overhead: ${c.name}, ${round === 0 ? 'first rollout' : `round ${round}/${rounds}`}`,
        );
        const measured = await rollout(c);
        const slot = results.get(c.name);
        if (slot === undefined) continue;
        if (round === 0) slot.warmup = measured;
        else slot.runs.push(measured);
      }
    }
    health = await measureHealthChecks(
      ctx,
      cloud,
      sfn,
      tail,
      calls,
      configs[0].service,
      proxyNames,
      healthRuns,
    );
  } finally {
    for (const client of clients) client.destroy();
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const data: RolloutOverheadData = {
    timeScale,
    pollIntervalSeconds: example.rollout.pollIntervalSeconds,
    reference: configs[0].name,
    configs: configs.map((c) => {
      const slot = results.get(c.name);
      if (slot?.warmup === undefined) throw new Error(`No rollout of ${c.name} ran.`);
      return {
        name: c.name,
        smokeTests: c.smokeTests,
        creationSeconds: c.creationSeconds,
        awsPolls: pollsUntilInService(c.creationSeconds, example.rollout.pollIntervalSeconds),
        warmup: slot.warmup,
        runs: slot.runs,
      };
    }),
    health,
  };
  return {
    name: 'rollout-overhead',
    title: 'Rollout overhead',
    durationMs: performance.now() - started,
    tables: rolloutTables(data, rounds),
    targets: [],
    data,
  };
}

/** Health checks through StartSyncExecution, and one run of the ASL in the engine to count its transitions. */
async function measureHealthChecks(
  ctx: BenchContext,
  cloud: LocalCloud,
  sfn: SFNClient,
  tail: LogTail,
  calls: ApiCallCounter,
  service: string,
  proxyNames: readonly string[],
  runs: number,
): Promise<RolloutOverheadData['health']> {
  const arn = `arn:aws:states:${cloud.ctx.region}:${cloud.ctx.accountId}:stateMachine:${healthCheckStateMachineName(DEFAULT_PREFIX)}`;
  const measured: HealthCheckMeasurement[] = [];
  for (let i = 0; i <= runs; i += 1) {
    ctx.progress(`rollout-overhead: health check ${i === 0 ? 'warm-up' : `${i}/${runs}`}`);
    tail.mark([...HEALTH_NAMES, ...proxyNames]);
    calls.mark();
    const t0 = performance.now();
    const out = await sfn.send(
      new StartSyncExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ service }) }),
    );
    const wallMs = performance.now() - t0;
    if (out.status !== 'SUCCEEDED') {
      throw new Error(
        `Health check of ${service} ended ${out.status ?? 'unknown'}: ${out.error ?? ''} ${out.cause ?? ''}`,
      );
    }
    if (i === 0) continue;
    measured.push({
      status: out.status,
      wallMs,
      billedDurationMs: out.billingDetails?.billedDurationInMilliseconds ?? Number.NaN,
      billedMemoryMb: out.billingDetails?.billedMemoryUsedInMB ?? Number.NaN,
      invocations: tail.reports(HEALTH_NAMES),
      proxyInvocations: tail.reports(proxyNames),
      apiCalls: calls.since({ 'StepFunctions.StartSyncExecution': 1 }),
    });
  }
  const counted = await countHealthTransitions(cloud, service);
  return { runs: measured, ...counted };
}

/**
 * Express executions have no history API (on AWS too), so the transitions a health check would bill as
 * a Standard workflow are counted by running the same ASL in the engine the local cloud uses, its Tasks
 * invoking the same Lambda functions over the wire.
 */
async function countHealthTransitions(
  cloud: LocalCloud,
  service: string,
): Promise<{ transitions: number; lambdaInvocations: number }> {
  const functions = STEP_FUNCTIONS.filter((f) => f.stateMachine === 'health-check');
  const arnOf = (id: string): string =>
    `arn:aws:lambda:${cloud.ctx.region}:${cloud.ctx.accountId}:function:${stepFunctionName(DEFAULT_PREFIX, id)}`;
  const text = substitutePlaceholders(
    readFileSync(join(ROOT, 'statemachines', 'health-check.asl.json'), 'utf8'),
    Object.fromEntries(functions.map((f) => [f.placeholder, arnOf(f.id)])),
    'statemachines/health-check.asl.json',
  );
  const lambda = new LambdaClient(sdkConfig(cloud));
  let invocations = 0;
  const handlers = Object.fromEntries(
    functions.flatMap((f) =>
      f.states.map((state) => [
        state,
        async (input: unknown): Promise<never> => {
          invocations += 1;
          const out = await lambda.send(
            new InvokeCommand({ FunctionName: arnOf(f.id), Payload: Buffer.from(JSON.stringify(input)) }),
          );
          const payload = Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8');
          if (out.FunctionError !== undefined) throw new Error(`${f.id} failed: ${payload}`);
          return JSON.parse(payload) as never;
        },
      ]),
    ),
  );
  try {
    const machine = new StateMachine(JSON.parse(text) as never, { validationOptions: { checkArn: true } });
    const run = machine.run({ service }, { overrides: { taskResourceLocalHandlers: handlers } });
    let transitions = 0;
    for await (const event of run.eventLogs) {
      if (event.type === 'StateEntered') transitions += 1;
    }
    await run.result;
    return { transitions, lambdaInvocations: invocations };
  } finally {
    lambda.destroy();
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function rolloutTables(data: RolloutOverheadData, rounds: number): ResultTable[] {
  const med = (runs: readonly RolloutMeasurement[], pick: (r: RolloutMeasurement) => number): number =>
    median(runs.map(pick));
  const rows = data.configs.map((c) => [
    c.name,
    ms(med(c.runs, (r) => r.wallMs)),
    ms(med(c.runs, (r) => r.emulatedSageMakerMs)),
    ms(med(c.runs, (r) => r.overheadMs)),
    ms(med(c.runs, (r) => sum(r.invocations.map((i) => i.durationMs)))),
    ms(med(c.runs, (r) => r.waitMs)),
    `${med(c.runs, (r) => r.polls)} (AWS: ${c.awsPolls})`,
    String(med(c.runs, (r) => r.lambdaInvocations)),
    String(med(c.runs, (r) => r.transitions)),
    String(c.runs.length),
  ]);
  const reference = data.configs[0];
  const stepRows =
    reference === undefined
      ? []
      : Object.keys(reference.runs[0]?.steps ?? {}).map((step) => [
          step,
          String(med(reference.runs, (r) => r.steps[step]?.count ?? 0)),
          ms(med(reference.runs, (r) => r.steps[step]?.ms ?? 0)),
          ms(reference.warmup.steps[step]?.ms ?? Number.NaN),
        ]);
  const health = data.health;
  const healthWall = median(health.runs.map((r) => r.wallMs));
  return [
    {
      title: `Rollout overhead: local rollouts at time scale ${data.timeScale} (1 AWS second = ${data.timeScale * 1000} ms)`,
      head: [
        'configuration',
        'wall',
        'emulated SageMaker',
        'overhead',
        'Lambda time',
        'Wait states',
        'polls',
        'Lambda invocations',
        'state transitions',
        'n',
      ],
      rows,
      notes: [
        `Real rollouts of examples/sentiment.json (smoke tests repeated under new names), one service per configuration, configurations alternated for ${rounds} round(s) after a first rollout of each (not counted); medians.`,
        "wall = execution start to stop (DescribeExecution); emulated SageMaker = endpoint creation (240 AWS s by default, or the SageMaker.EndpointLifecycle fault's creationSeconds) x time scale; overhead = wall - emulated SageMaker.",
        "Lambda time = sum of the step functions' REPORT durations; Wait states = scaled poll intervals (they include the slack between InService and the next poll); the rest of the overhead is the engine and Lambda dispatch.",
        `Counts from GetExecutionHistory: Lambda invocations = LambdaFunctionScheduled; state transitions = states entered + Task retries. Each poll adds 3 transitions (Wait, Check Endpoint, Choice) and 1 invocation; smoke tests run inside one invocation, so they add time, not transitions. AWS polls = ceil(creation / ${data.pollIntervalSeconds} s poll interval), what the same loop makes in real time.`,
        `First rollout after the cloud started (cold Lambda environments): wall ${ms(reference?.warmup.wallMs ?? Number.NaN)}, overhead ${ms(reference?.warmup.overheadMs ?? Number.NaN)}, of which Init Duration ${ms(sum((reference?.warmup.invocations ?? []).map((i) => i.initMs ?? 0)))}.`,
      ],
    },
    {
      title: `Rollout overhead: time per step of the example rollout (local, median of ${reference?.runs.length ?? 0})`,
      head: ['step', 'runs per rollout', 'time (warm)', 'time (first rollout, cold)'],
      rows: stepRows,
      notes: [
        "Verify Public API calls the new endpoint through the edge: the proxy's first request after Switch API Target changed its configuration runs in a new execution environment (a cold start), as on AWS.",
        'Check Endpoint: all polls of one rollout together.',
      ],
    },
    {
      title: 'Health check (Express workflow, StartSyncExecution) of the example service',
      head: ['measure', 'value'],
      rows: [
        ['runs', String(health.runs.length)],
        ['wall (median)', ms(healthWall)],
        ['Express billed duration (median)', ms(median(health.runs.map((r) => r.billedDurationMs)))],
        ['Express billed memory', `${median(health.runs.map((r) => r.billedMemoryMb))} MB`],
        ['Lambda invocations per check', String(median(health.runs.map((r) => r.invocations.length)))],
        [
          'Lambda time per check (median)',
          ms(median(health.runs.map((r) => sum(r.invocations.map((i) => i.durationMs))))),
        ],
        [
          'proxy invocations per check (probe through the public URL)',
          String(median(health.runs.map((r) => r.proxyInvocations.length))),
        ],
        ['state transitions per check (engine run of the same ASL)', String(health.transitions)],
      ],
    },
  ];
}
