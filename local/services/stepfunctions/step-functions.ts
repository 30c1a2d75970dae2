import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RunOptions } from 'aws-local-stepfunctions';
import type { ServiceContext } from '../../protocol/types';
import type { LoadedStateMachine, TaskStateDefinition } from './definitions';
import { ExecutionTiming } from './execution-timing';
import type { ExecutionRecord, ExecutionStatus, ExecutionStore, HistoryEvent } from './execution-store';
import {
  DataLimitExceededError,
  LambdaTaskError,
  PAYLOAD_LIMIT_BYTES,
  invokeLambdaTask,
  payloadBytes,
  resultTooLargeCause,
} from './lambda-task';
import {
  executionAlreadyExists,
  executionDoesNotExist,
  invalidArn,
  invalidExecutionInput,
  inputTooLarge,
  invalidName,
  invalidToken,
  stateMachineDoesNotExist,
  typeNotSupported,
  validation,
} from './stepfunctions-errors';

/** What Step Functions runs on. */
export interface StepFunctionsOptions {
  readonly ctx: ServiceContext;
  readonly store: ExecutionStore;
  readonly machines: readonly LoadedStateMachine[];
  /** The client Task states invoke Lambda with (over the wire). */
  readonly lambdaClient: LambdaClient;
  /** Finished Express executions kept in memory per state machine. @default 100 */
  readonly expressRetention?: number;
}

/** A registered state machine as listed and described. */
export interface StateMachineInfo {
  readonly machine: LoadedStateMachine;
  /** Epoch ms. */
  readonly creationDate: number;
}

/** StartExecution's input. */
export interface StartExecutionInput {
  readonly stateMachineArn: string;
  readonly name?: string;
  readonly input?: string;
}

/** A page of results. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

type Overrides = NonNullable<RunOptions['overrides']>;
type TaskHandlers = NonNullable<Overrides['taskResourceLocalHandlers']>;
type JsonInput = Parameters<LoadedStateMachine['engine']['run']>[0];

/** The engine's event log entries, as far as the emulation reads them. */
interface EngineEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly output?: unknown;
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input: unknown;
    readonly output?: unknown;
  };
  readonly retry?: { readonly retrier: unknown; readonly attempt: number };
}

/** Where one execution's record and history live (the persistent store, or memory for Express). */
interface ExecutionLog {
  record(): ExecutionRecord;
  update(changes: Partial<ExecutionRecord>): void;
  append(event: HistoryEvent): void;
  events(): readonly HistoryEvent[];
}

interface RunningExecution {
  readonly arn: string;
  readonly machine: LoadedStateMachine;
  readonly log: ExecutionLog;
  readonly timing: ExecutionTiming;
  abort: () => void;
  /** The Lambda invocation in flight, until its outcome (or a timeout) is recorded. */
  attempt: { readonly state: string; closed: boolean } | undefined;
  lastEntered: string | undefined;
  /** A terminal event is recorded: nothing more is. */
  settled: boolean;
  /** The cloud is stopping: nothing more is recorded; a restart marks the execution failed. */
  detached: boolean;
  done: Promise<void>;
}

interface ExpressEntry {
  readonly record: ExecutionRecord;
  readonly events: HistoryEvent[];
}

/**
 * Step Functions' operations: state machines, Standard executions (persisted, history included) and
 * Express executions (kept in memory for a while), run by aws-local-stepfunctions. Every Task state
 * invokes its Lambda function over the wire, so errors, retries and catches see what they would on
 * AWS; history events are recorded as AWS names and shapes them.
 */
export class StepFunctions {
  private readonly machines = new Map<string, StateMachineInfo>();
  private readonly running = new Map<string, RunningExecution>();
  private readonly express = new Map<string, ExpressEntry>();
  private readonly expressRetention: number;

  constructor(private readonly options: StepFunctionsOptions) {
    this.expressRetention = options.expressRetention ?? 100;
    const now = Date.now();
    for (const machine of options.machines) {
      this.machines.set(machine.arn, {
        machine,
        creationDate: options.store.stateMachineCreated(machine.name, now),
      });
    }
  }

  /** The ARN a state machine name has in this cloud. */
  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.options.ctx.region}:${this.options.ctx.accountId}:stateMachine:${name}`;
  }

  /**
   * Marks executions left RUNNING by a previous process as FAILED: the engine's progress lived in that
   * process, so they cannot resume. Returns their ARNs.
   */
  recoverInterrupted(): string[] {
    const now = Date.now();
    const interrupted = this.options.store.all().filter((e) => e.status === 'RUNNING');
    for (const record of interrupted) {
      const events = this.options.store.events(record.executionArn);
      const last = events[events.length - 1];
      const ended = last === undefined ? undefined : terminalOutcome(last);
      if (ended !== undefined) {
        // The process died between recording the terminal event and updating the metadata: the
        // history already says how the execution ended, so the metadata follows it.
        this.options.store.update(record.executionArn, ended);
        continue;
      }
      const lastSeen = new Date(last?.timestamp ?? record.startDate).toISOString();
      const cause =
        `The local cloud stopped while this execution was running (its last event was at ${lastSeen}); ` +
        `it was marked failed when the local cloud restarted at ${new Date(now).toISOString()}. ` +
        'Any lock it held is taken over by the next rollout of the service.';
      this.options.store.append(record.executionArn, {
        id: (last?.id ?? 0) + 1,
        previousEventId: last?.id ?? 0,
        timestamp: now,
        type: 'ExecutionFailed',
        executionFailedEventDetails: { error: 'States.Runtime', cause },
      });
      this.options.store.update(record.executionArn, {
        status: 'FAILED',
        stopDate: now,
        error: 'States.Runtime',
        cause,
      });
    }
    return interrupted.map((e) => e.executionArn);
  }

  /** ListStateMachines. */
  listStateMachines(): StateMachineInfo[] {
    return [...this.machines.values()].sort((a, b) => a.machine.name.localeCompare(b.machine.name));
  }

  /** DescribeStateMachine. */
  describeStateMachine(arn: string): StateMachineInfo {
    return this.machineInfo(arn);
  }

  /**
   * StartExecution. Standard: a name is unique per state machine, except that repeating a call with
   * the same name and input while the execution runs returns it again (AWS's idempotency). Express:
   * names need not be unique.
   */
  startExecution(input: StartExecutionInput): { executionArn: string; startDate: number } {
    const { machine } = this.machineInfo(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    validateName(name);
    const text = input.input ?? '{}';
    const parsed = parseInput(text);
    if (machine.type === 'EXPRESS') {
      const record = this.startExpress(machine, name, text, parsed).record();
      return { executionArn: record.executionArn, startDate: record.startDate };
    }
    const arn = `arn:aws:states:${this.options.ctx.region}:${this.options.ctx.accountId}:execution:${machine.name}:${name}`;
    const existing = this.options.store.get(arn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw executionAlreadyExists(arn);
    }
    const startDate = Date.now();
    this.options.store.create({
      executionArn: arn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name,
      status: 'RUNNING',
      startDate,
      input: text,
    });
    const store = this.options.store;
    const log: ExecutionLog = {
      record: () => store.get(arn) as ExecutionRecord,
      update: (changes) => void store.update(arn, changes),
      append: (event) => store.append(arn, event),
      events: () => store.events(arn),
    };
    this.launch(machine, log, parsed, startDate);
    return { executionArn: arn, startDate };
  }

  /** StartSyncExecution (Express only): runs the execution and answers its outcome. */
  async startSyncExecution(input: StartExecutionInput): Promise<ExecutionRecord> {
    const { machine } = this.machineInfo(input.stateMachineArn);
    if (machine.type !== 'EXPRESS') throw typeNotSupported('StartSyncExecution');
    const name = input.name ?? randomUUID();
    validateName(name);
    const text = input.input ?? '{}';
    const started = this.startExpress(machine, name, text, parseInput(text));
    await started.done;
    return started.record();
  }

  /** Runs an Express execution of a state machine (by name) to its end and returns its outcome. */
  async runExpress(stateMachineName: string, input: unknown): Promise<ExecutionRecord> {
    const { machine } = this.machineInfo(this.stateMachineArn(stateMachineName));
    const text = JSON.stringify(input);
    const started = this.startExpress(machine, randomUUID(), text, input);
    await started.done;
    return started.record();
  }

  /** Finished and running Express executions of a state machine kept in memory, newest first. */
  recentExpressExecutions(stateMachineName: string): ExecutionRecord[] {
    return [...this.express.values()]
      .map((e) => e.record)
      .filter((r) => r.stateMachineName === stateMachineName)
      .sort((a, b) => b.startDate - a.startDate);
  }

  /** DescribeExecution (Standard only, as on AWS). */
  describeExecution(arn: string): ExecutionRecord {
    return this.standardExecution(arn);
  }

  /** ListExecutions: newest first, optional status filter, paginated. */
  listExecutions(input: {
    readonly stateMachineArn: string;
    readonly statusFilter?: string;
    readonly maxResults?: number;
    readonly nextToken?: string;
  }): Page<ExecutionRecord> {
    const { machine } = this.machineInfo(input.stateMachineArn);
    if (machine.type === 'EXPRESS') throw typeNotSupported('ListExecutions');
    const filter = input.statusFilter;
    if (filter !== undefined && !(STATUSES as readonly string[]).includes(filter)) {
      throw validation(
        'statusFilter',
        filter,
        `Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
      );
    }
    const all = this.options.store
      .list(machine.arn)
      .filter((e) => filter === undefined || e.status === filter);
    return paginate(all, input.maxResults, input.nextToken, `${machine.arn}|${filter ?? ''}`);
  }

  /** GetExecutionHistory: events oldest first (or reversed), paginated. */
  getExecutionHistory(input: {
    readonly executionArn: string;
    readonly maxResults?: number;
    readonly nextToken?: string;
    readonly reverseOrder?: boolean;
  }): Page<HistoryEvent> {
    const record = this.standardExecution(input.executionArn);
    const events = [...this.options.store.events(record.executionArn)];
    if (input.reverseOrder === true) events.reverse();
    return paginate(
      events,
      input.maxResults,
      input.nextToken,
      `${record.executionArn}|${input.reverseOrder === true}`,
    );
  }

  /** StopExecution: a running execution becomes ABORTED with the error and cause given. */
  stopExecution(input: { readonly executionArn: string; readonly error?: string; readonly cause?: string }): {
    stopDate: number;
  } {
    if (input.error !== undefined && input.error.length > 256) {
      throw validation('error', input.error, 'Member must have length less than or equal to 256');
    }
    if (input.cause !== undefined && input.cause.length > 32_768) {
      throw validation('cause', '(cause)', 'Member must have length less than or equal to 32768');
    }
    const record = this.standardExecution(input.executionArn);
    if (record.status !== 'RUNNING') return { stopDate: record.stopDate ?? Date.now() };
    const now = Date.now();
    const running = this.running.get(record.executionArn);
    const details = {
      ...(input.error === undefined ? {} : { error: input.error }),
      ...(input.cause === undefined ? {} : { cause: input.cause }),
    };
    if (running !== undefined) {
      this.finish(
        running,
        { status: 'ABORTED', ...details },
        'ExecutionAborted',
        'executionAbortedEventDetails',
        details,
        now,
      );
      running.abort();
    } else {
      this.options.store.update(record.executionArn, { status: 'ABORTED', stopDate: now, ...details });
    }
    return { stopDate: now };
  }

  /** Executions by status, for the inventory. */
  inventory(): Record<string, unknown> {
    const count = (records: readonly ExecutionRecord[]): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const r of records) out[r.status] = (out[r.status] ?? 0) + 1;
      return out;
    };
    return {
      executions: count(this.options.store.all()),
      expressExecutions: count([...this.express.values()].map((e) => e.record)),
      stateMachines: this.listStateMachines().map((m) => ({ name: m.machine.name, type: m.machine.type })),
    };
  }

  /**
   * Stops running executions without recording anything more: their records stay RUNNING, so the next
   * start marks them failed, as after a crash. Returns when the engine has let go of them, or after
   * `waitMs` (an in-flight Lambda call ends only when the Lambda side stops).
   */
  async detachAll(waitMs = 2000): Promise<void> {
    const runs = [...this.running.values()];
    for (const run of runs) {
      run.detached = true;
      run.abort();
    }
    await Promise.race([
      Promise.allSettled(runs.map((r) => r.done)),
      delay(waitMs, undefined, { ref: false }),
    ]);
  }

  /** Forgets every execution (running ones are stopped first). */
  async reset(): Promise<void> {
    await this.detachAll();
    this.options.store.reset();
    this.express.clear();
    const now = Date.now();
    for (const [arn, info] of this.machines) {
      this.machines.set(arn, {
        ...info,
        creationDate: this.options.store.stateMachineCreated(info.machine.name, now),
      });
    }
  }

  private machineInfo(arn: string): StateMachineInfo {
    if (!/^arn:aws[a-zA-Z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(arn)) throw invalidArn(arn);
    const info = this.machines.get(arn);
    if (info === undefined) throw stateMachineDoesNotExist(arn);
    return info;
  }

  private standardExecution(arn: string): ExecutionRecord {
    const match =
      /^arn:aws[a-zA-Z-]*:states:[a-z0-9-]+:\d{12}:(execution|express):[^:]+:[^:]+(:[^:]+)?$/.exec(arn);
    if (match === null) throw invalidArn(arn);
    if (match[1] === 'express') throw invalidArn(arn, 'Resource type not valid in this context: express');
    const record = this.options.store.get(arn);
    if (record === undefined) throw executionDoesNotExist(arn);
    return record;
  }

  private startExpress(
    machine: LoadedStateMachine,
    name: string,
    text: string,
    parsed: unknown,
  ): { record: () => ExecutionRecord; done: Promise<void> } {
    const arn = `arn:aws:states:${this.options.ctx.region}:${this.options.ctx.accountId}:express:${machine.name}:${name}:${randomUUID()}`;
    const startDate = Date.now();
    let entry: ExpressEntry = {
      record: {
        executionArn: arn,
        stateMachineArn: machine.arn,
        stateMachineName: machine.name,
        name,
        status: 'RUNNING',
        startDate,
        input: text,
      },
      events: [],
    };
    this.express.set(arn, entry);
    this.pruneExpress();
    const log: ExecutionLog = {
      record: () => entry.record,
      update: (changes) => {
        entry = { ...entry, record: { ...entry.record, ...changes } };
        this.express.set(arn, entry);
      },
      append: (event) => entry.events.push(event),
      events: () => entry.events,
    };
    const run = this.launch(machine, log, parsed, startDate);
    return { record: () => entry.record, done: run.done };
  }

  private pruneExpress(): void {
    const finished = [...this.express.values()].filter((e) => e.record.status !== 'RUNNING');
    const byMachine = new Map<string, ExpressEntry[]>();
    for (const e of finished)
      byMachine.set(e.record.stateMachineName, [...(byMachine.get(e.record.stateMachineName) ?? []), e]);
    for (const entries of byMachine.values()) {
      entries.sort((a, b) => b.record.startDate - a.record.startDate);
      for (const old of entries.slice(this.expressRetention)) this.express.delete(old.record.executionArn);
    }
  }

  /** Starts the engine on an execution whose record exists, and records its events as they come. */
  private launch(
    machine: LoadedStateMachine,
    log: ExecutionLog,
    input: unknown,
    startDate: number,
  ): RunningExecution {
    const record = log.record();
    append(log, 'ExecutionStarted', 'executionStartedEventDetails', {
      input: record.input,
      inputDetails: { truncated: false },
      roleArn: machine.roleArn,
    });
    const timing = new ExecutionTiming(machine, this.options.ctx.clock);
    timing.noteExecutionInput(input);
    const execution: RunningExecution = {
      arn: record.executionArn,
      machine,
      log,
      timing,
      abort: () => undefined,
      attempt: undefined,
      lastEntered: undefined,
      settled: false,
      detached: false,
      done: Promise.resolve(),
    };
    const handlers: TaskHandlers = {};
    for (const [stateName, task] of machine.tasks) {
      handlers[stateName] = (taskInput) =>
        this.runTask(execution, stateName, task, taskInput) as Promise<JsonInput>;
    }
    const run = machine.engine.run(input as JsonInput, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        waitTimeOverrides: timing.waitTimeOverrides(),
        retryIntervalOverrides: timing.retryIntervalOverrides(),
      },
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          StartTime: new Date(startDate).toISOString(),
          RoleArn: machine.roleArn,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    });
    execution.abort = run.abort;
    const consumed = this.consume(execution, run.eventLogs as AsyncGenerator<EngineEvent>);
    const result = run.result.then(
      () => undefined,
      (error: unknown) => error,
    );
    execution.done = Promise.all([consumed, result]).then(([, error]) => {
      if (!execution.settled && !execution.detached) {
        const message = error instanceof Error ? error.message : 'The execution ended without a result.';
        this.fail(execution, { error: 'States.Runtime', cause: message });
      }
      this.running.delete(execution.arn);
      if (machine.type === 'EXPRESS') this.pruneExpress();
    });
    this.running.set(execution.arn, execution);
    return execution;
  }

  /** Turns the engine's events into AWS history events. */
  private async consume(execution: RunningExecution, events: AsyncGenerator<EngineEvent>): Promise<void> {
    for await (const event of events) {
      if (execution.settled || execution.detached) continue;
      const state = event.state;
      switch (event.type) {
        case 'StateEntered':
          if (state === undefined) break;
          execution.lastEntered = state.name;
          execution.timing.onStateEntered(state.name);
          append(
            execution.log,
            `${state.type}StateEntered`,
            'stateEnteredEventDetails',
            { name: state.name, input: json(state.input), inputDetails: { truncated: false } },
            event.timestamp,
          );
          break;
        case 'StateExited':
          if (state === undefined) break;
          if (payloadBytes(state.output) > PAYLOAD_LIMIT_BYTES) {
            // A state's output over the quota fails the execution where it stands: no StateExited,
            // no Catch (as AWS records it). The engine may have entered the next state already;
            // a Task there sees `settled` before it invokes anything.
            const details = { error: 'States.DataLimitExceeded', cause: resultTooLargeCause(state.name) };
            this.fail(execution, details, event.timestamp);
            execution.abort();
            break;
          }
          append(
            execution.log,
            `${state.type}StateExited`,
            'stateExitedEventDetails',
            { name: state.name, output: json(state.output), outputDetails: { truncated: false } },
            event.timestamp,
          );
          break;
        case 'StateRetried':
          if (state !== undefined && event.retry !== undefined) {
            execution.timing.onStateRetried(state.name, event.retry.retrier, event.retry.attempt);
          }
          break;
        case 'StateFailed':
          // The engine enforces TimeoutSeconds itself; the Task's invocation is still open then.
          if (
            state?.type === 'Task' &&
            event.Error === 'States.Timeout' &&
            execution.attempt?.state === state.name &&
            !execution.attempt.closed
          ) {
            execution.attempt.closed = true;
            execution.timing.noteTaskFailure();
            append(
              execution.log,
              'LambdaFunctionTimedOut',
              'lambdaFunctionTimedOutEventDetails',
              { error: 'States.Timeout' },
              event.timestamp,
            );
          }
          break;
        case 'ExecutionSucceeded': {
          const output = json(event.output);
          this.finish(
            execution,
            { status: 'SUCCEEDED', output },
            'ExecutionSucceeded',
            'executionSucceededEventDetails',
            {
              output,
              outputDetails: { truncated: false },
            },
            event.timestamp,
          );
          break;
        }
        case 'ExecutionFailed': {
          this.fail(execution, this.failureDetails(execution, event), event.timestamp);
          break;
        }
        case 'ExecutionTimeout':
          this.finish(
            execution,
            { status: 'TIMED_OUT', error: 'States.Timeout' },
            'ExecutionTimedOut',
            'executionTimedOutEventDetails',
            { error: 'States.Timeout' },
            event.timestamp,
          );
          break;
        case 'ExecutionAborted':
          this.finish(
            execution,
            { status: 'ABORTED' },
            'ExecutionAborted',
            'executionAbortedEventDetails',
            {},
            event.timestamp,
          );
          break;
        default:
          break;
      }
    }
  }

  /** ExecutionFailed's error and cause; a Fail state without Error/Cause gives none, as on AWS. */
  private failureDetails(
    execution: RunningExecution,
    event: EngineEvent,
  ): { error?: string; cause?: string } {
    const failState =
      execution.lastEntered === undefined ? undefined : execution.machine.states.get(execution.lastEntered);
    const fromFailState = failState?.Type === 'Fail';
    const hasError = !fromFailState || failState.Error !== undefined || failState.ErrorPath !== undefined;
    const hasCause = !fromFailState || failState.Cause !== undefined || failState.CausePath !== undefined;
    const cause = event.Cause;
    return {
      ...(hasError && event.Error !== undefined ? { error: event.Error } : {}),
      ...(hasCause && cause !== undefined
        ? { cause: typeof cause === 'string' ? cause : JSON.stringify(cause) }
        : {}),
    };
  }

  /** Runs one Task attempt: invokes its function over the wire and records the Lambda events. */
  private async runTask(
    execution: RunningExecution,
    stateName: string,
    task: TaskStateDefinition,
    input: unknown,
  ): Promise<unknown> {
    // Let the event consumer catch up, so TaskStateEntered (and any retry) is recorded before our events.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (execution.settled || execution.detached) {
      throw new LambdaTaskError('States.Runtime', 'The execution is no longer running.');
    }
    if (payloadBytes(input) > PAYLOAD_LIMIT_BYTES) {
      // The input after InputPath/Parameters is over the quota: nothing is scheduled.
      throw new DataLimitExceededError(
        `The state/task '${stateName}' has an input with a size exceeding the maximum number of bytes service limit.`,
      );
    }
    const attempt = { state: stateName, closed: false };
    execution.attempt = attempt;
    append(execution.log, 'LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
      resource: task.Resource,
      input: json(input),
      inputDetails: { truncated: false },
      ...(task.TimeoutSeconds === undefined ? {} : { timeoutInSeconds: task.TimeoutSeconds }),
    });
    append(execution.log, 'LambdaFunctionStarted');
    const live = (): boolean => !attempt.closed && !execution.settled && !execution.detached;
    try {
      const output = await invokeLambdaTask(this.options.lambdaClient, task.Resource, input);
      if (payloadBytes(output) > PAYLOAD_LIMIT_BYTES) {
        throw new DataLimitExceededError(resultTooLargeCause(task.Resource));
      }
      if (live()) {
        attempt.closed = true;
        append(execution.log, 'LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', {
          output: json(output),
          outputDetails: { truncated: false },
        });
        execution.timing.noteTaskResult(task, input, output);
      }
      return output;
    } catch (error) {
      const failure =
        error instanceof LambdaTaskError
          ? error
          : new LambdaTaskError('States.Runtime', error instanceof Error ? error.message : String(error));
      if (live()) {
        attempt.closed = true;
        append(execution.log, 'LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', {
          error: failure.name,
          cause: failure.message,
        });
        execution.timing.noteTaskFailure();
      }
      throw failure;
    }
  }

  /** Ends an execution FAILED with `details` (its ExecutionFailed event and record alike). */
  private fail(
    execution: RunningExecution,
    details: { readonly error?: string; readonly cause?: string },
    timestamp = Date.now(),
  ): void {
    this.finish(
      execution,
      { status: 'FAILED', ...details },
      'ExecutionFailed',
      'executionFailedEventDetails',
      details,
      timestamp,
    );
  }

  private finish(
    execution: RunningExecution,
    changes: Partial<ExecutionRecord>,
    type: string,
    detailsField: string,
    details: Record<string, unknown>,
    timestamp = Date.now(),
  ): void {
    if (execution.settled || execution.detached) return;
    execution.settled = true;
    append(execution.log, type, detailsField, details, timestamp);
    execution.log.update({ ...changes, stopDate: timestamp });
  }
}

/** The execution outcome a terminal history event records, or undefined for other events. */
function terminalOutcome(event: HistoryEvent): Partial<ExecutionRecord> | undefined {
  const pick = (field: string): Partial<ExecutionRecord> => {
    const d = (event[field] ?? {}) as { output?: unknown; error?: unknown; cause?: unknown };
    return {
      ...(typeof d.output === 'string' ? { output: d.output } : {}),
      ...(typeof d.error === 'string' ? { error: d.error } : {}),
      ...(typeof d.cause === 'string' ? { cause: d.cause } : {}),
    };
  };
  const statusByType: Record<string, readonly [ExecutionStatus, string] | undefined> = {
    ExecutionSucceeded: ['SUCCEEDED', 'executionSucceededEventDetails'],
    ExecutionFailed: ['FAILED', 'executionFailedEventDetails'],
    ExecutionAborted: ['ABORTED', 'executionAbortedEventDetails'],
    ExecutionTimedOut: ['TIMED_OUT', 'executionTimedOutEventDetails'],
  };
  const known = statusByType[event.type];
  if (known === undefined) return undefined;
  return { status: known[0], stopDate: event.timestamp, ...pick(known[1]) };
}

/** Appends an event with the next id. */
function append(
  log: ExecutionLog,
  type: string,
  detailsField?: string,
  details?: Record<string, unknown>,
  timestamp = Date.now(),
): void {
  const events = log.events();
  const last = events[events.length - 1];
  const id = (last?.id ?? 0) + 1;
  log.append({
    id,
    previousEventId: id - 1,
    timestamp: Math.max(timestamp, last?.timestamp ?? 0),
    type,
    ...(detailsField === undefined || details === undefined ? {} : { [detailsField]: details }),
  });
}

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Characters AWS forbids in execution names: whitespace, brackets, wildcards, specials, controls. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the rule excludes
const FORBIDDEN_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

/** AWS's execution name rules: 1-80 characters, none of the forbidden ones. */
function validateName(name: string): void {
  if (name.length < 1 || name.length > 80 || FORBIDDEN_NAME_CHARACTERS.test(name)) {
    throw invalidName(name);
  }
}

function parseInput(text: string): unknown {
  if (Buffer.byteLength(text, 'utf8') > PAYLOAD_LIMIT_BYTES) {
    throw inputTooLarge(PAYLOAD_LIMIT_BYTES);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidExecutionInput((error as Error).message);
  }
}

function paginate<T>(
  all: readonly T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  scope: string,
): Page<T> {
  const limit = maxResults === undefined || maxResults === 0 ? 100 : maxResults;
  if (!Number.isInteger(limit) || limit < 0 || limit > 1000) {
    throw validation('maxResults', maxResults, 'Member must have value less than or equal to 1000');
  }
  let offset = 0;
  if (nextToken !== undefined) {
    try {
      const decoded = JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as {
        offset?: unknown;
        scope?: unknown;
      };
      if (typeof decoded.offset !== 'number' || decoded.scope !== scope) throw new Error('other scope');
      offset = decoded.offset;
    } catch {
      throw invalidToken(nextToken);
    }
  }
  const items = all.slice(offset, offset + limit);
  const next =
    offset + limit < all.length
      ? Buffer.from(JSON.stringify({ offset: offset + limit, scope })).toString('base64url')
      : undefined;
  return { items, ...(next === undefined ? {} : { nextToken: next }) };
}
