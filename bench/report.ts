import Table from 'cli-table3';

/** One printed table of a benchmark. */
export interface ResultTable {
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Lines printed under the table (what was measured, the baseline, caveats). */
  readonly notes?: readonly string[];
}

/** A target of the issue, checked against a measured figure. */
export interface TargetCheck {
  readonly target: string;
  /** The measured figure, written for a reader (with units). */
  readonly measured: string;
  readonly met: boolean;
  /** Measured divided by the limit (below 1 means met with room). */
  readonly ratioToLimit: number;
  /** By how much a missed target was missed and what bounds it, or why the figure is what it is. */
  readonly note?: string;
}

/** What one benchmark returns: its tables, its targets and its raw data for the JSON file. */
export interface BenchmarkResult {
  readonly name: string;
  readonly title: string;
  readonly durationMs: number;
  readonly tables: readonly ResultTable[];
  readonly targets: readonly TargetCheck[];
  readonly data: unknown;
}

/** Renders a table as text (box drawing, no colours, so it pastes into Markdown code blocks). */
export function renderTable(table: ResultTable): string {
  const t = new Table({ head: [...table.head], style: { head: [], border: [] } });
  for (const row of table.rows) t.push([...row]);
  const notes = (table.notes ?? []).map((n) => `  ${n}`).join('\n');
  return `${table.title}\n${t.toString()}${notes === '' ? '' : `\n${notes}`}`;
}

/** Renders a table as GitHub Markdown (`withTitle` false: the caller's heading names it). */
export function markdownTable(table: ResultTable, withTitle = true): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  const lines = [
    `| ${table.head.map(escape).join(' | ')} |`,
    `| ${table.head.map(() => '---').join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
  const notes = (table.notes ?? []).map((n) => `- ${n}`);
  const title = withTitle ? [`**${table.title}**`, ''] : [];
  return [...title, ...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

/** Milliseconds for a table: 3 significant figures, µs below 1 ms. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs < 1) return `${(value * 1000).toPrecision(3)} µs`;
  if (abs < 1000) return `${value.toPrecision(3)} ms`;
  return `${(value / 1000).toPrecision(3)} s`;
}

/** A ratio for a table, e.g. `0.31x`. */
export function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
}

/** Bytes for a table (KiB / MiB). */
export function bytes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(2)} MiB`;
}

/** US dollars for a table: enough digits to show sub-cent figures. */
export function usd(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value === 0) return '$0';
  if (Math.abs(value) >= 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toPrecision(3)}`;
}
