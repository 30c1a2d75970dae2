import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { JsonStore, writeFileAtomic } from '../../store';

/** Execution status values. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution's metadata (times in epoch ms). */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate?: number;
  /** Input as JSON text. */
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** One history event in AWS's shape, except `timestamp` in epoch ms. */
export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly [detailsField: string]: unknown;
}

interface State {
  executions: Record<string, ExecutionRecord>;
  /** State machine name → creation date (epoch ms), so it stays the same across restarts. */
  stateMachines: Record<string, number>;
}

/**
 * Standard executions, persisted: metadata in one JSON store (rewritten atomically on each status
 * change), history as one JSON-lines file per execution under `<dataDir>/executions/<machine>/`,
 * appended event by event so a crash loses at most the event being written. History is 90 days on
 * AWS; here it lasts until `reset`.
 */
export class ExecutionStore {
  private readonly meta: JsonStore<State>;
  private readonly history = new Map<string, HistoryEvent[]>();

  constructor(private readonly dataDir: string | null) {
    this.meta = new JsonStore<State>(dataDir === null ? null : join(dataDir, 'stepfunctions.json'), () => ({
      executions: {},
      stateMachines: {},
    }));
  }

  /** A state machine's creation date, set the first time it is registered. */
  stateMachineCreated(name: string, now: number): number {
    const known = this.meta.state.stateMachines[name];
    if (known !== undefined) return known;
    this.meta.mutate((s) => {
      s.stateMachines[name] = now;
    });
    return now;
  }

  /** An execution by ARN. */
  get(arn: string): ExecutionRecord | undefined {
    return this.meta.state.executions[arn];
  }

  /** Executions of a state machine, newest first. */
  list(stateMachineArn: string): ExecutionRecord[] {
    return Object.values(this.meta.state.executions)
      .filter((e) => e.stateMachineArn === stateMachineArn)
      .sort((a, b) => b.startDate - a.startDate || b.name.localeCompare(a.name));
  }

  /** Every execution. */
  all(): ExecutionRecord[] {
    return Object.values(this.meta.state.executions);
  }

  /** Records a new execution. */
  create(record: ExecutionRecord): void {
    this.meta.mutate((s) => {
      s.executions[record.executionArn] = record;
    });
    this.history.set(record.executionArn, []);
  }

  /** Changes an execution's metadata (status, dates, output, error). */
  update(arn: string, changes: Partial<ExecutionRecord>): ExecutionRecord {
    return this.meta.mutate((s) => {
      const current = s.executions[arn];
      if (current === undefined) throw new Error(`No execution ${arn}`);
      const next = { ...current, ...changes };
      s.executions[arn] = next;
      return next;
    });
  }

  /** Appends one history event (to the file first, so what is acknowledged is on disk). */
  append(arn: string, event: HistoryEvent): void {
    const file = this.historyFile(arn);
    if (file !== null) {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, `${JSON.stringify(event)}\n`);
    }
    this.events(arn).push(event);
  }

  /** An execution's history, oldest first. */
  events(arn: string): HistoryEvent[] {
    let events = this.history.get(arn);
    if (events === undefined) {
      events = this.load(arn);
      this.history.set(arn, events);
    }
    return events;
  }

  /** Forgets every execution and its history. */
  reset(): void {
    this.meta.reset();
    this.history.clear();
    if (this.dataDir !== null) rmSync(join(this.dataDir, 'executions'), { recursive: true, force: true });
  }

  /**
   * Reads an execution's history, repairing what a crash mid-append leaves behind before anything is
   * appended again (an append onto a torn tail would glue the next event to it, and that event would
   * then be lost at the following load):
   * - a tail after the last newline is an append that never finished, so its event was never
   *   acknowledged (`append` returns only once the line is written): it is cut off;
   * - a complete line that is not JSON is a torn line that a later append was glued to (files written
   *   before this repair existed): the event that starts last on the line is kept, the torn part dropped.
   * A repaired file is rewritten atomically, so every later load reads it as is.
   */
  private load(arn: string): HistoryEvent[] {
    const file = this.historyFile(arn);
    if (file === null || !existsSync(file)) return [];
    const raw = readFileSync(file);
    const end = raw.lastIndexOf(0x0a) + 1;
    let repaired = end < raw.length;
    const events: HistoryEvent[] = [];
    for (const line of raw.subarray(0, end).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      const whole = parseEvent(line);
      if (whole !== undefined) {
        events.push(whole);
        continue;
      }
      repaired = true;
      const start = line.lastIndexOf('{"id":');
      const glued = start > 0 ? parseEvent(line.slice(start)) : undefined;
      if (glued !== undefined) events.push(glued);
    }
    if (repaired) writeFileAtomic(file, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    return events;
  }

  private historyFile(arn: string): string | null {
    const record = this.get(arn);
    if (this.dataDir === null || record === undefined) return null;
    // AWS names exclude `/` and `:`, but `.` and `..` are names too: encode so no name escapes its folder.
    const safe = encodeURIComponent(record.name).replace(/^\.+$/, (dots) => '%2E'.repeat(dots.length));
    return join(this.dataDir, 'executions', record.stateMachineName, `${safe}.jsonl`);
  }
}

/** One history line as an event, or undefined when it is not one (torn). */
function parseEvent(line: string): HistoryEvent | undefined {
  try {
    const parsed = JSON.parse(line) as Partial<HistoryEvent> | null;
    return parsed !== null &&
      typeof parsed === 'object' &&
      typeof parsed.id === 'number' &&
      typeof parsed.type === 'string'
      ? (parsed as HistoryEvent)
      : undefined;
  } catch {
    return undefined;
  }
}
