import type { RolloutDetail, RolloutSummary } from '../history';
import type { StepRun } from '../timeline';
import { timelineRows } from '../console/web/timeline-rows';
import type { SmokeResult } from '../../lambdas/shared/types';
import { clip, colorStatus, formatDuration, formatTime, pc, table, type Printer } from './output';

/** Widest line `history` prints (a terminal of 100 columns shows every row on its own lines). */
export const HISTORY_WIDTH = 100;

/** States that only wait or branch; their visits are folded into the wait summary. */
const LOOP_STATES = new Set([
  'Wait For Endpoint',
  'Check Endpoint',
  'Endpoint In Service?',
  'Wait For Endpoint Deletion',
  'Check Endpoint Deleted',
  'Endpoint Deleted?',
]);

/**
 * Prints a rollout's steps as they finish: one line per step, and one line per polling loop (the
 * endpoint wait shows as "Endpoint InService after N checks" instead of N × 3 lines).
 */
export class StepPrinter {
  private loop: { name: string; startedAt: number; checks: number; lastStatus: string | null } | undefined;
  private lastExit: string | null = null;

  constructor(private readonly out: Printer) {}

  /** Reports one finished step visit. */
  step(run: StepRun): void {
    if (LOOP_STATES.has(run.name)) {
      const deleting = run.name.includes('Deletion') || run.name.includes('Deleted');
      const name = deleting ? 'Endpoint deleted' : 'Endpoint InService';
      if (this.loop === undefined || this.loop.name !== name) {
        this.flush();
        this.loop = { name, startedAt: Date.parse(run.enteredAt), checks: 0, lastStatus: null };
      }
      if (run.type === 'Task') {
        this.loop.checks += 1;
        const out = run.output as { wait?: { status?: string }; deletion?: { status?: string } } | undefined;
        this.loop.lastStatus = (deleting ? out?.deletion?.status : out?.wait?.status) ?? this.loop.lastStatus;
        if (run.status === 'failed') this.flush(run);
      }
      this.lastExit = run.exitedAt;
      return;
    }
    this.flush();
    if (run.type === 'Choice' || run.type === 'Pass' || run.type === 'Succeed') return;
    if (run.type === 'Fail') {
      this.out.line(`  ${pc.red('✘')} ${run.name}`);
      return;
    }
    const mark = run.status === 'failed' ? pc.red('✘') : pc.green('✔');
    const retries =
      run.attempts > 1 ? pc.yellow(` (${run.attempts - 1} ${run.attempts === 2 ? 'retry' : 'retries'})`) : '';
    const extra = run.status === 'failed' && run.error !== null ? pc.red(`  ${run.error}`) : stepNote(run);
    this.out.line(
      `  ${mark} ${run.name.padEnd(26)} ${formatDuration(run.durationMs).padStart(9)}${retries}${extra}`,
    );
  }

  /** Prints the pending loop line, if any. */
  flush(failed?: StepRun): void {
    const loop = this.loop;
    if (loop === undefined) return;
    this.loop = undefined;
    const ms = this.lastExit === null ? null : Date.parse(this.lastExit) - loop.startedAt;
    const checks = `${loop.checks} check${loop.checks === 1 ? '' : 's'}`;
    if (failed !== undefined) {
      this.out.line(
        `  ${pc.red('✘')} ${loop.name.padEnd(26)} ${formatDuration(ms).padStart(9)}  ${pc.red(failed.error ?? 'failed')} after ${checks}`,
      );
    } else {
      this.out.line(
        `  ${pc.green('✔')} ${loop.name.padEnd(26)} ${formatDuration(ms).padStart(9)}  after ${checks}`,
      );
    }
  }
}

function stepNote(run: StepRun): string {
  const smoke: readonly SmokeResult[] =
    (run.output as { smoke?: readonly SmokeResult[] } | undefined)?.smoke ?? [];
  if (run.name === 'Run Smoke Tests' && smoke.length > 0) {
    return pc.dim(`  ${smoke.filter((s) => s.passed).length}/${smoke.length} passed`);
  }
  return '';
}

/** A smoke result as printed; one read back from a failure message has no latency when it passed. */
export type SmokeLine = Omit<SmokeResult, 'latencyMs'> & { readonly latencyMs: number | null };

/** Prints smoke results as a table. */
export function printSmoke(out: Printer, title: string, results: readonly SmokeLine[]): void {
  if (results.length === 0) return;
  out.line(`  ${title}`);
  const rows = results.map((r) => [
    r.name,
    r.passed ? pc.green('passed') : pc.red('failed'),
    r.status === null ? '—' : String(r.status),
    formatDuration(r.latencyMs),
    clip(r.passed ? r.responsePreview : r.failures.join('; '), 60),
  ]);
  out.line(indent(table(['test', 'result', 'status', 'latency', r0(results)], rows), 2));
}

function r0(results: readonly SmokeLine[]): string {
  return results.every((r) => r.passed) ? 'answer' : 'answer / failures';
}

/** Options of `printDetail`. */
export interface DetailOptions {
  /** One row per visit of a state (each poll, each retry) instead of one per step. @default false */
  readonly verbose?: boolean;
  /** Print the step table (off after `--follow`, which printed each step as it finished). @default true */
  readonly steps?: boolean;
}

/** Prints a rollout's details (for `status`). */
export function printDetail(out: Printer, r: RolloutDetail, options: DetailOptions = {}): void {
  out.line(
    `${pc.bold(r.rolloutId)}  ${colorStatus(r.status)}  (${r.kind}${r.service === null ? '' : ` of ${r.service}`})`,
  );
  if (r.model !== null) out.line(`  model       ${r.model.id}@${r.model.revision} (${r.model.task})`);
  out.line(
    `  requested   ${r.requestedBy ?? '—'} at ${formatTime(r.startedAt)}${r.reason === null ? '' : `, reason: ${r.reason}`}`,
  );
  out.line(`  duration    ${formatDuration(r.durationMs)}${r.finishedAt === null ? ' (running)' : ''}`);
  if (r.endpointName !== null) out.line(`  endpoint    ${r.endpointName}`);
  out.line(`  previous    ${r.previousEndpoint ?? '(none)'}`);
  if (r.outcome !== null) out.line(`  outcome     ${r.live ? pc.green(r.outcome) : r.outcome}`);
  const smoke = smokeResultsOf(r);
  if (r.failure !== null) {
    out.line(`  ${pc.red('failed at')}   ${r.failure.step ?? '?'} (${r.failure.error})`);
    out.line(`  ${pc.red('cause')}       ${failureCause(r, smoke.fromFailure)}`);
  }
  if (options.steps !== false) {
    out.line();
    out.line(indent(options.verbose === true ? visitTable(r.steps) : stepTable(r.steps), 2));
  }
  printSmoke(out, 'smoke tests (new endpoint):', smoke.results);
  if (r.record !== null) {
    if (r.record.publicCheck !== null) printSmoke(out, 'public API check:', [r.record.publicCheck]);
    for (const w of r.record.warnings) out.line(`  ${pc.yellow('warning')} ${w}`);
  }
}

/**
 * Prints why a finished rollout failed: its cause once (not prefixed again with the step and error the
 * caller's headline names) and, when smoke tests ran, their table. For `deploy` and `rollback`.
 */
export function printFailure(out: Printer, r: RolloutSummary): void {
  const smoke = smokeResultsOf(r);
  if (r.failure !== null) out.line(`  ${failureCause(r, smoke.fromFailure)}`);
  printSmoke(out, 'smoke tests:', smoke.results);
}

/** One row per step: the visits of a polling loop and the retries of a step are added up. */
function stepTable(steps: readonly StepRun[]): string {
  const rows = timelineRows(steps)
    // Record-failure Pass states only route the error to Roll Back: the failed step shows it already.
    .filter((s) => s.type !== 'Pass')
    .map((s) => [
      s.name,
      resultOf(s),
      formatTime(s.enteredAt).slice(11),
      formatDuration(s.durationMs),
      s.visits > 1 ? String(s.visits) : '',
      s.retries > 0 ? String(s.retries) : '',
      s.error === null ? '' : clip(s.error, 32),
    ]);
  return table(['step', 'result', 'started', 'took', 'runs', 'retries', 'error'], rows);
}

/** One row per visit of a state (`--verbose`): every poll and its own timing. */
function visitTable(steps: readonly StepRun[]): string {
  const rows = steps
    .filter((s) => s.type !== 'Choice')
    .map((s) => [
      s.name,
      resultOf(s),
      formatTime(s.enteredAt).slice(11),
      formatDuration(s.durationMs),
      s.attempts > 1 ? String(s.attempts - 1) : '',
      s.error === null ? '' : clip(s.error, 40),
    ]);
  return table(['step', 'result', 'started', 'took', 'retries', 'error'], rows);
}

function resultOf(s: { status: StepRun['status']; interrupted?: boolean }): string {
  if (s.interrupted === true) return pc.red('interrupted');
  if (s.status === 'failed') return pc.red('failed');
  return s.status === 'running' ? pc.cyan('running') : 'ok';
}

/**
 * The smoke results of a rollout: the record's, or, when Run Smoke Tests failed (its results go down
 * with the step's output), those its error message lists, one line per failing test.
 */
function smokeResultsOf(r: RolloutSummary): { results: SmokeLine[]; fromFailure: string | null } {
  if (r.record !== null && r.record.smoke.length > 0)
    return { results: [...r.record.smoke], fromFailure: null };
  if (r.failure?.step !== 'Run Smoke Tests' || r.failure.error !== 'SmokeTestFailedError') {
    return { results: [], fromFailure: null };
  }
  const message = errorMessageOf(r.record?.failure?.cause);
  if (message === null) return { results: [], fromFailure: null };
  return { results: parseSmokeFailure(message), fromFailure: message };
}

/** The `errorMessage` of a Lambda error envelope, line breaks kept. */
function errorMessageOf(cause: string | null | undefined): string | null {
  if (cause === null || cause === undefined) return null;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : null;
  } catch {
    return null;
  }
}

/**
 * Reads the results out of a SmokeTestFailedError message (lambdas/run-smoke-tests/core.ts
 * `smokeFailureMessage`): `- "name" (status 200, 88 ms): first failure` per failing test, then
 * `Passed: "a", "b".`.
 */
export function parseSmokeFailure(message: string): SmokeLine[] {
  const results: SmokeLine[] = [];
  for (const line of message.split('\n')) {
    const failed = /^- "(.*)" \(status (\d+|none), (\d+) ms\): (.*)$/.exec(line);
    if (failed !== null) {
      const [, name = '', status = 'none', latency = '0', failure = ''] = failed;
      results.push({
        name,
        passed: false,
        status: status === 'none' ? null : Number(status),
        latencyMs: Number(latency),
        failures: [failure],
        responsePreview: '',
      });
      continue;
    }
    if (line.startsWith('Passed: ')) {
      for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
        results.push({
          name: match[1] ?? '',
          passed: true,
          status: null,
          latencyMs: null,
          failures: [],
          responsePreview: '',
        });
      }
    }
  }
  return results;
}

/**
 * The cause of a failure without what the headline already says: the summary starts with
 * "<step> failed (<error>): ", and a smoke failure's per-test lines are in the table printed under it.
 */
function failureCause(r: RolloutSummary, smokeMessage: string | null): string {
  if (r.failure === null) return '';
  let cause = r.failure.message;
  const prefix = `${r.failure.step ?? ''} failed (${r.failure.error}): `;
  if (cause.startsWith(prefix)) cause = cause.slice(prefix.length);
  if (smokeMessage !== null) {
    const flat = smokeMessage.replace(/\s+/g, ' ').trim();
    const first = (smokeMessage.split('\n')[0] ?? '').trim();
    cause = cause.replace(flat, first);
  }
  return cause;
}

/** What a history page was filtered on (for an honest empty message). */
export interface HistoryFilter {
  readonly service?: string | undefined;
  readonly status?: string | undefined;
}

/**
 * Prints a page of history within HISTORY_WIDTH columns: per rollout, a line with its id, status, start,
 * duration and requester, then indented lines: what it deployed and, if it failed, where and why.
 */
export function printHistory(
  out: Printer,
  rollouts: readonly RolloutSummary[],
  nextToken: string | undefined,
  filter: HistoryFilter = {},
): void {
  if (rollouts.length === 0) {
    out.line(emptyHistoryMessage(filter));
    return;
  }
  const idWidth = Math.max('rollout'.length, ...rollouts.map((r) => r.rolloutId.length));
  const fixed = idWidth + 2 + 9 + 2 + 17 + 2 + 10 + 2;
  const byWidth = Math.max(8, HISTORY_WIDTH - fixed);
  out.line(
    pc.bold(
      `${'rollout'.padEnd(idWidth)}  ${'status'.padEnd(9)}  ${'started'.padEnd(17)}  ${'took'.padEnd(10)}  by`,
    ),
  );
  for (const r of rollouts) {
    out.line(
      `${r.rolloutId.padEnd(idWidth)}  ${colorStatus(r.status.padEnd(9))}  ${formatTime(r.startedAt).slice(0, 16).padEnd(17)}  ${formatDuration(r.durationMs).padEnd(10)}  ${clip(r.requestedBy ?? '—', byWidth)}`,
    );
    const what =
      r.kind === 'rollback'
        ? `rollback${r.endpointName === null ? '' : ` → ${r.endpointName}`}`
        : r.model === null
          ? null
          : `${r.model.id}@${r.model.revision}`;
    if (what !== null) out.line(pc.dim(`  ${clip(what, HISTORY_WIDTH - 2)}`));
    if (r.outcome !== null) {
      const outcome = clip(r.outcome, HISTORY_WIDTH - 2);
      out.line(`  ${r.live ? pc.green(outcome) : pc.dim(outcome)}`);
    }
    if (r.failure !== null) {
      out.line(
        `  ${pc.red(clip(`failed at ${r.failure.step ?? '?'}: ${failureCause(r, null)}`, HISTORY_WIDTH - 2))}`,
      );
    }
  }
  if (nextToken !== undefined) out.line(pc.dim(`More: npx rollout history --next-token ${nextToken}`));
}

/** "No FAILED rollouts of service x." when a filter matched nothing; "No rollouts yet." only when none exist. */
export function emptyHistoryMessage(filter: HistoryFilter): string {
  const status = filter.status === undefined ? '' : `${filter.status.toUpperCase()} `;
  const service = filter.service === undefined ? '' : ` of service ${filter.service}`;
  if (status === '' && service === '') return 'No rollouts yet. Start one with `npx rollout deploy <spec>`.';
  return `No ${status}rollouts${service}.`;
}

/** Indents every line. */
export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
