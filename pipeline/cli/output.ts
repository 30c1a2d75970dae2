import Table from 'cli-table3';
import pc from 'picocolors';

/**
 * What makes a printed command copy-pasteable for the target at hand: the `rollout` options that chose
 * it (`--endpoint`, `--data-dir`, `--aws`, ...) and, for a local cloud, where the AWS CLI must go.
 */
export interface HintContext {
  /** Options to add to every `npx rollout ...` hint, one option with its shell-quoted value each. */
  readonly rolloutFlags: readonly string[];
  /** Set for a local cloud: `aws ...` hints get `--endpoint-url` and `--region`. */
  readonly awsEndpoint?: { readonly url: string; readonly region: string };
}

/** Where human-readable text goes: stdout normally, stderr when stdout carries --json. */
export interface Printer {
  readonly json: boolean;
  /** A line for people (commands in it are completed by the hint context). */
  line(text?: string): void;
  /** The machine-readable result (only with --json). */
  result(value: unknown): void;
  /** Sets how commands quoted in lines are completed (once the target is known). */
  hints(context: HintContext): void;
  /** Completes the commands quoted in a text the way line() does. */
  complete(text: string): string;
}

/** Makes the printer of a command. */
export function printer(json: boolean, context: HintContext = { rolloutFlags: [] }): Printer {
  const human = json ? process.stderr : process.stdout;
  let hints = context;
  const complete = (text: string): string => completeCommands(text, hints);
  return {
    json,
    line: (text = '') => void human.write(`${complete(text)}\n`),
    result: (value) => {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    hints: (next) => {
      hints = next;
    },
    complete,
  };
}

/**
 * Makes the commands a text suggests runnable as printed: `npx rollout <cmd>` gets the options that
 * chose the target, and `aws <service> ...` gets the local cloud's `--endpoint-url` and `--region`
 * (hints are written once, in Lambdas and here, for AWS; locally they would reach the real AWS).
 */
export function completeCommands(text: string, context: HintContext): string {
  let out = text;
  if (context.rolloutFlags.length > 0) {
    out = out.replace(/\bnpx rollout ([a-z][a-z-]*)/g, (whole, cmd: string) => {
      // `up` starts a cloud: of the target options only the data folder means something to it.
      const flags =
        cmd === 'up' ? context.rolloutFlags.filter((f) => f.startsWith('--data-dir ')) : context.rolloutFlags;
      return flags.length === 0 ? whole : `npx rollout ${cmd} ${flags.join(' ')}`;
    });
  }
  const aws = context.awsEndpoint;
  if (aws !== undefined) {
    out = out.replace(
      /(^|[\s(`'"])aws (sagemaker|stepfunctions|ssm|lambda|dynamodb|secretsmanager|sns|cloudfront|cloudwatch|logs) /g,
      (_m, before: string, service: string) =>
        `${before}aws --endpoint-url ${aws.url} --region ${aws.region} ${service} `,
    );
  }
  return out;
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** "850 ms", "3.2 s", "4 min 05 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  const sec = Math.round((ms % 60_000) / 1000);
  return `${min} min ${String(sec).padStart(2, '0')} s`;
}

/** "2026-11-22 10:30:05Z". */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

/** A plain table (no colors in the borders, so it reads well in logs). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const t = new Table({ head: head.map((h) => pc.bold(h)), style: { head: [], border: [] } });
  t.push(...rows.map((r) => [...r]));
  return t.toString();
}

/** Colors a rollout status. */
export function colorStatus(status: string): string {
  if (status === 'SUCCEEDED' || status === 'passed' || status === 'healthy') return pc.green(status);
  if (status === 'RUNNING') return pc.cyan(status);
  return pc.red(status);
}

/** Shortens text to `max` characters on one line. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export { pc };
