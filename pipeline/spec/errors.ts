/** One problem found in a rollout spec: where, what was there, and what was expected. */
export interface SpecIssue {
  /** JSON path of the offending field, e.g. `$.model.task`. */
  readonly path: string;
  /** What was found there (`undefined` when the field is missing). */
  readonly received: unknown;
  /** What the field must be, written as advice. */
  readonly expected: string;
}

/** Renders an issue as one line a person can act on. */
export function formatSpecIssue(issue: SpecIssue): string {
  const got = issue.received === undefined ? 'missing' : `got ${preview(issue.received)}`;
  return `${issue.path}: ${got}; expected ${issue.expected}`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
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
