import { JSONPath } from 'jsonpath-plus';
import type { Clock } from '../../clock';
import type { LoadedStateMachine, RetrierDefinition, TaskStateDefinition } from './definitions';

type Known = { readonly known: true; readonly value: unknown } | { readonly known: false };

/**
 * Scaled time for one execution, through the engine's overrides (which are keyed by state name):
 *
 * - Wait: the engine reads `waitTimeOverrides[state]` when the Wait starts, without showing the
 *   override the Wait's input. `Seconds` is scaled directly. `SecondsPath` is evaluated on the output
 *   of the most recent Task whose output is known (a Task's output is its result, or, when it has a
 *   ResultPath/OutputPath and no InputPath/Parameters, the result placed in its input); states
 *   between that Task and the Wait (Choice, Pass) are assumed to pass the data through. When no such
 *   output is known, or for Timestamp waits, the engine waits the real time.
 * - Retry: `retryIntervalOverrides[state]` is read before each retry; it gives, per retrier,
 *   IntervalSeconds × BackoffRate^attempts capped by MaxDelaySeconds, with FULL jitter, scaled. The
 *   attempt counts come from the engine's own StateRetried events (reset when the state is entered).
 *
 * Task TimeoutSeconds are not scaled: functions run in real time.
 */
export class ExecutionTiming {
  private lastOutput: Known = { known: false };
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly machine: LoadedStateMachine,
    private readonly clock: Clock,
  ) {}

  /** The object given to the engine as `waitTimeOverrides` (values computed when read). */
  waitTimeOverrides(): Record<string, number> {
    return new Proxy<Record<string, number>>(
      {},
      {
        get: (_target, key) => (typeof key === 'string' ? this.waitMs(key) : undefined),
      },
    );
  }

  /** The object given to the engine as `retryIntervalOverrides` (values computed when read). */
  retryIntervalOverrides(): Record<string, number[]> {
    return new Proxy<Record<string, number[]>>(
      {},
      {
        get: (_target, key) => (typeof key === 'string' ? this.retryMs(key) : undefined),
      },
    );
  }

  /** The execution's input is the first state's input. */
  noteExecutionInput(input: unknown): void {
    this.lastOutput = { known: true, value: input };
  }

  /** A Task returned `result` for `input` (its effective input, after InputPath/Parameters). */
  noteTaskResult(task: TaskStateDefinition, input: unknown, result: unknown): void {
    this.lastOutput = taskOutput(task, input, result);
  }

  /** A Task failed: its output (if caught) is the Catch's, which is not tracked. */
  noteTaskFailure(): void {
    this.lastOutput = { known: false };
  }

  /** The engine entered a state: its retry counts start again. */
  onStateEntered(stateName: string): void {
    this.attempts.delete(stateName);
  }

  /** The engine retried a state with one of its retriers (`attempt` counts that retrier's retries). */
  onStateRetried(stateName: string, retrier: unknown, attempt: number): void {
    const retriers = this.retriersOf(stateName);
    let index = retriers.indexOf(retrier as RetrierDefinition);
    if (index < 0) index = retriers.findIndex((r) => JSON.stringify(r) === JSON.stringify(retrier));
    if (index < 0) return;
    const counts = this.attempts.get(stateName) ?? retriers.map(() => 0);
    counts[index] = attempt;
    this.attempts.set(stateName, counts);
  }

  private waitMs(stateName: string): number | undefined {
    const wait = this.machine.waits.get(stateName);
    if (wait === undefined) return undefined;
    if (typeof wait.Seconds === 'number') return this.clock.scaledMs(wait.Seconds);
    if (wait.SecondsPath === undefined || !this.lastOutput.known) return undefined;
    const inputPath = (this.machine.states.get(stateName)?.InputPath ?? '$') as string | null;
    const input = inputPath === null ? {} : query(inputPath, this.lastOutput.value);
    const seconds = query(wait.SecondsPath, input);
    // An invalid value is left to the engine, which fails the state as AWS would.
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) return undefined;
    return this.clock.scaledMs(seconds);
  }

  private retryMs(stateName: string): number[] | undefined {
    const retriers = this.retriersOf(stateName);
    if (retriers.length === 0) return undefined;
    const counts = this.attempts.get(stateName) ?? [];
    return retriers.map((r, i) => {
      const base = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** (counts[i] ?? 0);
      const capped = r.MaxDelaySeconds === undefined ? base : Math.min(base, r.MaxDelaySeconds);
      const seconds = r.JitterStrategy === 'FULL' ? Math.random() * capped : capped;
      return this.clock.scaledMs(seconds);
    });
  }

  private retriersOf(stateName: string): readonly RetrierDefinition[] {
    const retry = this.machine.states.get(stateName)?.Retry;
    return Array.isArray(retry) ? (retry as RetrierDefinition[]) : [];
  }
}

function query(path: string, json: unknown): unknown {
  if (path === '$') return json;
  return JSONPath<unknown>({ path, json: json as object, wrap: false });
}

/** A Task's state output from its result, when it can be known without the raw state input. */
function taskOutput(task: TaskStateDefinition, input: unknown, result: unknown): Known {
  if (task.ResultSelector !== undefined) return { known: false };
  const rawInputKnown =
    (task.InputPath === undefined || task.InputPath === '$') && task.Parameters === undefined;
  let output: unknown;
  if (task.ResultPath === undefined || task.ResultPath === '$') {
    output = result;
  } else if (!rawInputKnown) {
    return { known: false };
  } else if (task.ResultPath === null) {
    output = input;
  } else {
    const placed = placeAt(input, task.ResultPath, result);
    if (!placed.known) return placed;
    output = placed.value;
  }
  if (task.OutputPath === undefined || task.OutputPath === '$') return { known: true, value: output };
  if (task.OutputPath === null) return { known: true, value: {} };
  return { known: true, value: query(task.OutputPath, output) };
}

/** Sets `$.a.b` in a copy of `input` (reference paths of plain field names only). */
function placeAt(input: unknown, path: string, value: unknown): Known {
  const fields = /^\$(\.[A-Za-z_][\w-]*)+$/.test(path) ? path.slice(2).split('.') : undefined;
  if (fields === undefined || input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { known: false };
  }
  const root = structuredClone(input) as Record<string, unknown>;
  let node = root;
  for (const [i, field] of fields.entries()) {
    if (i === fields.length - 1) {
      node[field] = value;
    } else {
      const next = node[field];
      const child =
        next !== null && typeof next === 'object' && !Array.isArray(next)
          ? (next as Record<string, unknown>)
          : {};
      node[field] = child;
      node = child;
    }
  }
  return { known: true, value: root };
}
