/** One problem found in a rollout spec: where, what was there, and what was expected. */
export interface SpecIssue {
  /** JSON path of the offending field, e.g. `$.model.task`. */
  readonly path: string;
  /** What was found there (`undefined` when the field is missing). */
  readonly received: unknown;
  /** What was found, said in words, when the value itself is not worth showing (e.g. far too deep). */
  readonly found?: string;
  /** What the field must be, written as advice. */
  readonly expected: string;
}

/** Renders an issue as one line a person can act on. */
export function formatSpecIssue(issue: SpecIssue): string {
  const got =
    issue.found !== undefined
      ? `got ${issue.found}`
      : issue.received === undefined
        ? 'missing'
        : `got ${preview(issue.received)}`;
  return `${issue.path}: ${got}; expected ${issue.expected}`;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // A value too deep (or cyclic) to print must not turn a spec error into a crash.
    text = Array.isArray(value) ? '[...]' : '{...}';
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The rollout spec is invalid; nothing has been created. */
export class SpecInvalidError extends Error {
  override readonly name = 'SpecInvalidError';
  readonly issues: readonly SpecIssue[];

  constructor(issues: readonly SpecIssue[], source?: string) {
    const lines = issues.map(formatSpecIssue);
    super(
      `${source ?? 'The rollout spec'} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}); nothing was created.\n  ${lines.join('\n  ')}`,
    );
    this.issues = issues;
  }
}
