import type { RolloutDetail, RolloutSummary } from '../history';
import type { StepRun } from '../timeline';
import type { SmokeResult } from '../../lambdas/shared/types';
import { clip, colorStatus, formatDuration, formatTime, pc, table, type Printer } from './output';

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

/** Prints smoke results as a table. */
export function printSmoke(out: Printer, title: string, results: readonly SmokeResult[]): void {
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

function r0(results: readonly SmokeResult[]): string {
  return results.every((r) => r.passed) ? 'answer' : 'answer / failures';
}

/** Prints a rollout's details (for `status`). */
export function printDetail(out: Printer, r: RolloutDetail): void {
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
  if (r.failure !== null) {
    out.line(`  ${pc.red('failed at')}   ${r.failure.step ?? '?'} (${r.failure.error})`);
    out.line(`  ${pc.red('cause')}       ${r.failure.message}`);
  }
  out.line();
  const rows = r.steps
    .filter((s) => s.type !== 'Choice')
    .map((s) => [
      s.name,
      s.status === 'failed' ? pc.red('failed') : s.status === 'running' ? pc.cyan('running') : 'ok',
      formatTime(s.enteredAt).slice(11),
      formatDuration(s.durationMs),
      s.attempts > 1 ? String(s.attempts - 1) : '',
      s.error === null ? '' : clip(s.error, 40),
    ]);
  out.line(indent(table(['step', 'result', 'started', 'took', 'retries', 'error'], rows), 2));
  if (r.record !== null) {
    printSmoke(out, 'smoke tests (new endpoint):', r.record.smoke);
    if (r.record.publicCheck !== null) printSmoke(out, 'public API check:', [r.record.publicCheck]);
    for (const w of r.record.warnings) out.line(`  ${pc.yellow('warning')} ${w}`);
  }
}

/** Prints a page of history. */
export function printHistory(
  out: Printer,
  rollouts: readonly RolloutSummary[],
  nextToken: string | undefined,
): void {
  if (rollouts.length === 0) {
    out.line('No rollouts yet. Start one with `npx rollout deploy <spec>`.');
    return;
  }
  const rows = rollouts.map((r) => [
    r.rolloutId,
    colorStatus(r.status),
    r.kind === 'rollback'
      ? `rollback${r.endpointName === null ? '' : ` → ${r.endpointName}`}`
      : (r.model?.id ?? '—'),
    r.requestedBy ?? '—',
    formatTime(r.startedAt),
    formatDuration(r.durationMs),
    clip(r.outcome ?? '', 50),
    r.failure === null ? '' : clip(`${r.failure.step ?? '?'}: ${r.failure.message}`, 70),
  ]);
  out.line(
    table(['rollout', 'status', 'model', 'by', 'started', 'took', 'outcome', 'failed at: cause'], rows),
  );
  if (nextToken !== undefined) out.line(pc.dim(`More: npx rollout history --next-token ${nextToken}`));
}

/** Indents every line. */
export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
