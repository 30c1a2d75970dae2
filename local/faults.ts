import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { AwsError, defaultStatusFor } from './protocol/errors';

/**
 * Declared faults: a rule names an operation (`SageMaker.CreateEndpoint`, globs allowed), an optional
 * match on the request's fields, and an outcome; `count` limits how often it fires and `skip` lets the
 * first matching calls through. Every failure path of the state machine is driven by rules like these,
 * from tests or from a file (`--faults faults.json`), never by code paths written for a test.
 *
 * Outcomes with `error` answer that AWS error; `delayMs` delays the answer (real milliseconds). Other
 * keys are effects a service applies itself on a documented pseudo-operation, e.g.
 * `{"operation": "SageMaker.EndpointLifecycle", "outcome": {"endpointStatus": "Failed", "failureReason": "..."}}`
 * (see local/SUPPORT.md for the list).
 */
export interface FaultRule {
  /** Given by the engine when missing. */
  readonly id?: string;
  /** `<Service>.<Operation>`; `*` matches any run of characters. */
  readonly operation: string;
  /** Request fields by dotted path; string values may use `*` globs. */
  readonly match?: Readonly<Record<string, unknown>>;
  readonly outcome: FaultOutcome;
  /** Fire at most this many times (default: every matching call). */
  readonly count?: number;
  /** Let this many matching calls through before firing. */
  readonly skip?: number;
}

/** What a fault does. */
export interface FaultOutcome {
  /** AWS error code to answer with, e.g. `ThrottlingException`. */
  readonly error?: string;
  /** HTTP status of the error (default: AWS's usual status for the code). */
  readonly status?: number;
  readonly message?: string;
  /** Extra top-level fields of the error body (e.g. ModelError's `OriginalStatusCode`). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Delay before answering, in real milliseconds. */
  readonly delayMs?: number;
  /** Service-specific effects. */
  readonly [effect: string]: unknown;
}

/** A rule as the engine keeps it. */
export interface ActiveFault extends FaultRule {
  readonly id: string;
  seen: number;
  fired: number;
}

/** A fault that fired, for tests and the inventory. */
export interface FiredFault {
  readonly id: string;
  readonly operation: string;
  readonly at: string;
}

const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  ThrottlingException: 'Rate exceeded',
  TooManyRequestsException: 'Rate Exceeded.',
  ServiceUnavailable: 'Service Unavailable',
  ServiceUnavailableException: 'Service Unavailable',
  InternalFailure: 'An internal error occurred.',
  ResourceConflictException:
    'The operation cannot be performed at this time. An update is in progress for resource.',
};

/** Holds the declared faults and decides, per call, whether one fires. */
export class FaultEngine {
  private rules: ActiveFault[] = [];
  private nextId = 1;
  readonly fired: FiredFault[] = [];

  /** Adds rules (validated); returns them with their ids. */
  add(...rules: readonly FaultRule[]): ActiveFault[] {
    const added = rules.map((rule) => {
      validateRule(rule);
      const active: ActiveFault = { ...rule, id: rule.id ?? `fault-${this.nextId++}`, seen: 0, fired: 0 };
      return active;
    });
    this.rules.push(...added);
    return added;
  }

  /** Loads rules from a JSON file holding an array of rules (or `{"faults": [...]}`). */
  load(file: string): ActiveFault[] {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const rules = Array.isArray(parsed) ? parsed : (parsed as { faults?: unknown }).faults;
    if (!Array.isArray(rules))
      throw new Error(`${file}: expected an array of fault rules or {"faults": [...]}`);
    return this.add(...(rules as FaultRule[]));
  }

  list(): readonly ActiveFault[] {
    return this.rules;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
    this.fired.length = 0;
  }

  /**
   * The outcome of the first rule that matches this call and still has firings left (consuming one),
   * or undefined. `accept` narrows which outcomes the caller can apply.
   */
  take(
    operation: string,
    input: unknown,
    accept: (outcome: FaultOutcome) => boolean = () => true,
  ): FaultOutcome | undefined {
    for (const rule of this.rules) {
      if (!globMatch(rule.operation, operation) || !fieldsMatch(rule.match, input) || !accept(rule.outcome))
        continue;
      rule.seen++;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      rule.fired++;
      this.fired.push({ id: rule.id, operation, at: new Date().toISOString() });
      return rule.outcome;
    }
    return undefined;
  }
}

/** True for outcomes the generic layer applies: an error, or a pure delay. */
export function isGenericOutcome(outcome: FaultOutcome): boolean {
  return Object.keys(outcome).every((k) => ['error', 'status', 'message', 'fields', 'delayMs'].includes(k));
}

/**
 * Applies a generic fault for a call, if one is declared: waits `delayMs`, then throws the AwsError.
 * Every service runs this before each operation.
 */
export async function applyFault(
  ctx: { faults: FaultEngine },
  operation: string,
  input: unknown,
): Promise<void> {
  const outcome = ctx.faults.take(operation, input, isGenericOutcome);
  if (outcome === undefined) return;
  if (outcome.delayMs !== undefined && outcome.delayMs > 0) await delay(outcome.delayMs);
  if (outcome.error !== undefined) {
    throw new AwsError(
      outcome.error,
      outcome.message ?? DEFAULT_MESSAGES[outcome.error] ?? `Injected fault: ${outcome.error}`,
      outcome.status ?? defaultStatusFor(outcome.error),
      outcome.fields ?? {},
    );
  }
}

/** `*` glob match of a whole string. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
  return re.test(value);
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function fieldsMatch(match: FaultRule['match'], input: unknown): boolean {
  if (match === undefined) return true;
  return Object.entries(match).every(([path, expected]) => {
    const actual = path
      .split('.')
      .reduce<unknown>(
        (node, key) =>
          node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined,
        input,
      );
    if (typeof expected === 'string') return typeof actual === 'string' && globMatch(expected, actual);
    return JSON.stringify(actual) === JSON.stringify(expected);
  });
}

function validateRule(rule: FaultRule): void {
  if (typeof rule.operation !== 'string' || !/^[A-Za-z*]+\.[A-Za-z*]+$/.test(rule.operation)) {
    throw new Error(
      `Fault rule needs "operation": "<Service>.<Operation>" (globs allowed); got ${JSON.stringify(rule.operation)}`,
    );
  }
  if (rule.outcome === null || typeof rule.outcome !== 'object' || Object.keys(rule.outcome).length === 0) {
    throw new Error(
      `Fault rule for ${rule.operation} needs an "outcome", e.g. {"error": "ThrottlingException"}`,
    );
  }
  for (const key of ['count', 'skip'] as const) {
    const v = rule[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
      throw new Error(
        `Fault rule for ${rule.operation}: "${key}" must be a whole number >= 0; got ${JSON.stringify(v)}`,
      );
    }
  }
}
