import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STEP_FUNCTIONS, type FunctionSpec } from '../../lambdas/catalog';
import { HANDLER_ERROR_NAMES } from '../../lambdas/shared/errors';

/**
 * The contract between an ASL file, the function catalog and the handlers' error names, checked the
 * same way for every state machine (see DESIGN.md section 2: names are contracts).
 */

/** Folder of the ASL files. */
export const STATEMACHINES_DIR = join(__dirname, '..', '..', 'statemachines');

/** Error names Step Functions itself raises (the ASL spec's predefined `States.*` codes). */
export const STATES_ERRORS: ReadonlySet<string> = new Set([
  'States.ALL',
  'States.HeartbeatTimeout',
  'States.Timeout',
  'States.TaskFailed',
  'States.Permissions',
  'States.ResultPathMatchFailure',
  'States.ParameterPathFailure',
  'States.QueryEvaluationError',
  'States.BranchFailed',
  'States.NoChoiceMatched',
  'States.IntrinsicFailure',
  'States.ExceedToleratedFailureThreshold',
  'States.ItemReaderFailed',
  'States.ResultWriterFailed',
  'States.Runtime',
  'States.DataLimitExceeded',
]);

/** The parts of an ASL state these checks read. */
export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly TimeoutSeconds?: number;
  readonly Choices?: readonly { readonly Next?: string }[];
  readonly Retry?: readonly { readonly ErrorEquals: readonly string[] }[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[]; readonly Next: string }[];
  readonly Branches?: readonly AslMachine[];
  readonly ItemProcessor?: AslMachine;
  readonly Iterator?: AslMachine;
}

/** A state machine, or a Parallel branch / Map processor inside one. */
export interface AslMachine {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** An ASL file: its text (with placeholders) and its parsed definition. */
export interface AslFile {
  readonly text: string;
  readonly definition: AslMachine;
}

/** Reads an ASL file from statemachines/. */
export function readAsl(file: string): AslFile {
  const text = readFileSync(join(STATEMACHINES_DIR, file), 'utf8');
  return { text, definition: JSON.parse(text) as AslMachine };
}

/** The `${Placeholder}` names used in an ASL text. */
export function placeholdersIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''));
}

/** The ASL text with every catalog placeholder replaced by a function ARN, as CDK's definitionSubstitutions do. */
export function substituted(text: string): string {
  return STEP_FUNCTIONS.reduce(
    (out, f) =>
      out.replaceAll(
        `\${${f.placeholder}}`,
        `arn:aws:lambda:us-east-1:123456789012:function:hf-rollout-${f.id}`,
      ),
    text,
  );
}

/** The machine and every machine nested in it (Parallel branches, Map processors). */
export function machines(root: AslMachine): AslMachine[] {
  const out: AslMachine[] = [root];
  for (const state of Object.values(root.States)) {
    for (const nested of [...(state.Branches ?? []), state.ItemProcessor, state.Iterator]) {
      if (nested !== undefined) out.push(...machines(nested));
    }
  }
  return out;
}

/** Every state of the machine and nested machines, by name. */
export function allStates(root: AslMachine): [string, AslState][] {
  return machines(root).flatMap((m) => Object.entries(m.States));
}

/** Names of states a machine's StartAt leads to. */
export function reachableStates(machine: AslMachine): Set<string> {
  const seen = new Set<string>();
  const queue = [machine.StartAt];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const state = machine.States[name];
    if (state === undefined) continue;
    const targets = [
      state.Next,
      state.Default,
      ...(state.Choices ?? []).map((c) => c.Next),
      ...(state.Catch ?? []).map((c) => c.Next),
    ];
    for (const target of targets) if (target !== undefined) queue.push(target);
  }
  return seen;
}

/** Every object key anywhere in a JSON value. */
export function keysDeep(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysDeep);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...keysDeep(v)]);
}

/** The catalog function whose placeholder a Task's Resource is, or undefined. */
export function functionOf(state: AslState): FunctionSpec | undefined {
  return STEP_FUNCTIONS.find((f) => state.Resource === `\${${f.placeholder}}`);
}

/** Placeholders used in the text but not in the catalog's functions of `stateMachine`, and the reverse. */
export function placeholderMismatch(
  text: string,
  stateMachine: FunctionSpec['stateMachine'],
): { missing: string[]; extra: string[] } {
  const used = placeholdersIn(text);
  const expected = new Set(
    STEP_FUNCTIONS.filter((f) => f.stateMachine === stateMachine).map((f) => f.placeholder),
  );
  return {
    missing: [...expected].filter((p) => !used.has(p)).sort(),
    extra: [...used].filter((p) => !expected.has(p)).sort(),
  };
}

/** Every ErrorEquals value, as "<state>: <error>". */
export function matchedErrors(definition: AslMachine): string[] {
  return allStates(definition).flatMap(([name, s]) =>
    [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals.map((e) => `${name}: ${e}`)),
  );
}

/** ErrorEquals values that are neither Step Functions' or Lambda's own nor thrown by a handler. */
export function unknownErrorNames(definition: AslMachine): string[] {
  const handlerNames: ReadonlySet<string> = new Set(HANDLER_ERROR_NAMES);
  return matchedErrors(definition).filter((entry) => {
    const error = entry.slice(entry.indexOf(': ') + 2);
    return !(STATES_ERRORS.has(error) || error.startsWith('Lambda.') || handlerNames.has(error));
  });
}

/** States whose Retry or Catch uses States.ALL with other names or before the last entry (AWS rejects both). */
export function misplacedStatesAll(definition: AslMachine): string[] {
  return allStates(definition).flatMap(([name, s]) =>
    [s.Retry ?? [], s.Catch ?? []].flatMap((list) =>
      list.flatMap((r, i) =>
        r.ErrorEquals.includes('States.ALL') && (r.ErrorEquals.length > 1 || i !== list.length - 1)
          ? [name]
          : [],
      ),
    ),
  );
}

/** JSONata and variables, which the local engine silently ignores: what of them the file uses. */
export function nonJsonPathFeatures(text: string, definition: AslMachine): string[] {
  const keys = new Set(keysDeep(definition));
  const found = ['QueryLanguage', 'Assign', 'Arguments', 'Output'].filter((k) => keys.has(k));
  if (text.includes('{%')) found.push('{% JSONata %}');
  if (text.includes('$$.State')) found.push('$$.State');
  return found;
}

/** The Task states, by name. */
export function taskStates(definition: AslMachine): [string, AslState][] {
  return allStates(definition).filter(([, s]) => s.Type === 'Task');
}

/** Tasks without a catalog placeholder as Resource, Retry, Catch, or a timeout at least the function's. */
export function taskProblems(definition: AslMachine): string[] {
  return taskStates(definition).flatMap(([name, s]) => {
    const fn = functionOf(s);
    const out: string[] = [];
    if (fn === undefined) out.push(`${name}: Resource ${String(s.Resource)} is no catalog placeholder`);
    if ((s.Retry ?? []).length === 0) out.push(`${name}: no Retry`);
    if ((s.Catch ?? []).length === 0) out.push(`${name}: no Catch`);
    if (fn !== undefined && (s.TimeoutSeconds ?? 0) < fn.timeoutSeconds) {
      out.push(`${name}: TimeoutSeconds ${String(s.TimeoutSeconds)} < function timeout ${fn.timeoutSeconds}`);
    }
    return out;
  });
}

/** Tasks whose Retry does not retry AwsTransientError. */
export function tasksNotRetryingTransient(definition: AslMachine): string[] {
  return taskStates(definition)
    .filter(([, s]) => !(s.Retry ?? []).some((r) => r.ErrorEquals.includes('AwsTransientError')))
    .map(([name]) => name);
}

/** "<Task> -> <function id>" as the catalog lists it and as the ASL has it, both sorted. */
export function taskBindings(
  definition: AslMachine,
  stateMachine: FunctionSpec['stateMachine'],
): { catalog: string[]; asl: string[] } {
  return {
    catalog: STEP_FUNCTIONS.filter((f) => f.stateMachine === stateMachine)
      .flatMap((f) => f.states.map((state) => `${state} -> ${f.id}`))
      .sort(),
    asl: taskStates(definition)
      .map(([name, s]) => `${name} -> ${functionOf(s)?.id ?? '?'}`)
      .sort(),
  };
}

/** States no path from StartAt reaches, and transition targets that do not exist. */
export function unreachableOrDangling(definition: AslMachine): { unreachable: string[]; dangling: string[] } {
  const all = machines(definition).map((m) => ({ m, reached: reachableStates(m) }));
  return {
    unreachable: all.flatMap(({ m, reached }) => Object.keys(m.States).filter((n) => !reached.has(n))),
    dangling: all.flatMap(({ m, reached }) => [...reached].filter((n) => m.States[n] === undefined)),
  };
}
