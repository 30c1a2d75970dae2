import Table from 'cli-table3';
import pc from 'picocolors';

/** Where human-readable text goes: stdout normally, stderr when stdout carries --json. */
export interface Printer {
  readonly json: boolean;
  /** A line for people. */
  line(text?: string): void;
  /** The machine-readable result (only with --json). */
  result(value: unknown): void;
}

/** Makes the printer of a command. */
export function printer(json: boolean): Printer {
  const human = json ? process.stderr : process.stdout;
  return {
    json,
    line: (text = '') => void human.write(`${text}\n`),
    result: (value) => {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
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
