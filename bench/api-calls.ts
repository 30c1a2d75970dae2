import type { LocalCloud } from '../local/cloud';

/**
 * Counts the AWS API calls a local cloud serves, by operation (`SageMaker.CreateModel`, ...). Every
 * emulated operation consults the declared-fault engine, so a rule that matches every operation and does
 * nothing (a zero delay) records each call in the engine's `fired` list; nothing else changes. Calls the
 * Step Functions engine makes to run its Tasks (`Lambda.Invoke`) are not API calls of the handlers and
 * are left out.
 */
export class ApiCallCounter {
  private from = 0;

  constructor(private readonly cloud: LocalCloud) {
    cloud.faults.add({ id: 'bench-api-call-counter', operation: '*.*', outcome: { delayMs: 0 } });
  }

  /** Starts a new count. */
  mark(): void {
    this.from = this.cloud.faults.fired.length;
  }

  /** Calls by operation since `mark()`, less `own` calls the benchmark itself made. */
  since(own: Readonly<Record<string, number>> = {}): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const fired of this.cloud.faults.fired.slice(this.from)) {
      if (fired.id !== 'bench-api-call-counter' || fired.operation === 'Lambda.Invoke') continue;
      counts[fired.operation] = (counts[fired.operation] ?? 0) + 1;
    }
    for (const [operation, n] of Object.entries(own)) {
      const left = (counts[operation] ?? 0) - n;
      if (left > 0) counts[operation] = left;
      else delete counts[operation];
    }
    return counts;
  }
}
