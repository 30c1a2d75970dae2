import { createHash } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/** Step Functions workflow types. */
export type StateMachineType = 'STANDARD' | 'EXPRESS';

/** A Task state as the emulation reads it. */
export interface TaskStateDefinition {
  readonly Type: 'Task';
  readonly Resource: string;
  readonly TimeoutSeconds?: number;
  readonly InputPath?: string | null;
  readonly Parameters?: unknown;
  readonly ResultSelector?: unknown;
  readonly ResultPath?: string | null;
  readonly OutputPath?: string | null;
  readonly Retry?: readonly RetrierDefinition[];
}

/** One retrier of a Retry field. */
export interface RetrierDefinition {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** A Wait state. */
export interface WaitStateDefinition {
  readonly Type: 'Wait';
  readonly Seconds?: number;
  readonly SecondsPath?: string;
  readonly Timestamp?: string;
  readonly TimestampPath?: string;
}

const VALIDATED = new Set<string>();

/** A state machine ready to run: the substituted ASL, the engine, and the states the emulation hooks. */
export interface LoadedStateMachine {
  readonly name: string;
  readonly arn: string;
  readonly type: StateMachineType;
  readonly roleArn: string;
  /** The definition as DescribeStateMachine shows it (placeholders filled). */
  readonly definitionText: string;
  readonly definition: StateMachineDefinition;
  readonly engine: StateMachine;
  readonly tasks: ReadonlyMap<string, TaskStateDefinition>;
  readonly waits: ReadonlyMap<string, WaitStateDefinition>;
  /** Every state by name (Type and fields), for history event types. */
  readonly states: ReadonlyMap<string, { readonly Type: string } & Record<string, unknown>>;
}

/**
 * Fills `${Name}` placeholders as CDK `definitionSubstitutions` (CloudFormation Fn::Sub) does, and
 * fails naming every placeholder that has no value: a state machine must not start half-wired.
 */
export function substitutePlaceholders(
  text: string,
  values: Readonly<Record<string, string>>,
  source: string,
): string {
  const missing = new Set<string>();
  const out = text.replace(/\$\{(!?)([^}]+)\}/g, (whole, bang: string, name: string) => {
    if (bang === '!') return `\${${name}}`;
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return whole;
    }
    return value;
  });
  if (missing.size > 0) {
    throw new Error(
      `${source} uses placeholder(s) ${[...missing].map((m) => `\${${m}}`).join(', ')} that no function in lambdas/catalog.ts fills; ` +
        `known: ${Object.keys(values).join(', ')}`,
    );
  }
  return out;
}

/** Validates a substituted definition with the engine and indexes its Task and Wait states. */
export function loadStateMachine(options: {
  readonly name: string;
  readonly arn: string;
  readonly type: StateMachineType;
  readonly roleArn: string;
  readonly definitionText: string;
  readonly source: string;
}): LoadedStateMachine {
  let definition: StateMachineDefinition;
  try {
    definition = JSON.parse(options.definitionText) as StateMachineDefinition;
  } catch (error) {
    throw new Error(`${options.source} is not valid JSON: ${(error as Error).message}`);
  }
  // The engine's validator (asl-validator, compiling JSON schemas) takes a few hundred ms per call:
  // a definition text that validated once in this process is not validated again.
  const key = createHash('sha256').update(options.definitionText).digest('hex');
  const engine = new StateMachine(definition, {
    validationOptions: VALIDATED.has(key) ? { noValidate: true } : { checkArn: true, checkPaths: true },
  });
  VALIDATED.add(key);
  const tasks = new Map<string, TaskStateDefinition>();
  const waits = new Map<string, WaitStateDefinition>();
  const states = new Map<string, { readonly Type: string } & Record<string, unknown>>();
  collectStates(definition as unknown as Branch, tasks, waits, states);
  for (const [name, task] of tasks) {
    if (
      !/^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_.]+(:(\$LATEST|[a-zA-Z0-9-_]+))?$/.test(
        task.Resource,
      )
    ) {
      throw new Error(
        `${options.source}: Task "${name}" has Resource ${task.Resource}; the local cloud runs Lambda function ARNs only (see local/SUPPORT.md).`,
      );
    }
  }
  return { ...options, definition, engine, tasks, waits, states };
}

interface Branch {
  readonly States: Record<string, { readonly Type: string } & Record<string, unknown>>;
}

function collectStates(
  branch: Branch,
  tasks: Map<string, TaskStateDefinition>,
  waits: Map<string, WaitStateDefinition>,
  states: Map<string, { readonly Type: string } & Record<string, unknown>>,
): void {
  for (const [name, state] of Object.entries(branch.States)) {
    states.set(name, state);
    if (state.Type === 'Task') tasks.set(name, state as unknown as TaskStateDefinition);
    if (state.Type === 'Wait') waits.set(name, state as unknown as WaitStateDefinition);
    const nested: unknown[] = [
      ...(Array.isArray(state.Branches) ? (state.Branches as unknown[]) : []),
      state.Iterator,
      state.ItemProcessor,
    ];
    for (const child of nested) {
      if (child !== null && typeof child === 'object' && 'States' in child) {
        collectStates(child as Branch, tasks, waits, states);
      }
    }
  }
}
