import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { STEP_FUNCTIONS } from '../../lambdas/catalog';
import {
  matchedErrors,
  misplacedStatesAll,
  nonJsonPathFeatures,
  placeholderMismatch,
  readAsl,
  taskBindings,
  taskProblems,
  taskStates,
  tasksNotRetryingTransient,
  unknownErrorNames,
  unreachableOrDangling,
  STATEMACHINES_DIR,
  substituted,
} from './asl-contract';

/** Each state machine's ASL file, with the name its catalog functions give it. */
const MACHINES = [
  ['rollout.asl.json', 'rollout'],
  ['health-check.asl.json', 'health-check'],
] as const;

describe.each(MACHINES)('%s contract', (file, stateMachine) => {
  const { text, definition } = readAsl(file);

  it('uses exactly the placeholders of the catalog functions of its state machine', () => {
    // Act
    const mismatch = placeholderMismatch(text, stateMachine);

    // Assert
    expect(mismatch).toEqual({ missing: [], extra: [] });
  });

  it('matches only States.* and Lambda.* errors and the names the handlers throw', () => {
    // Act
    const unknown = unknownErrorNames(definition);

    // Assert
    expect(matchedErrors(definition).length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  it('uses States.ALL only alone and in the last retrier or catcher', () => {
    // Act / Assert
    expect(misplacedStatesAll(definition)).toEqual([]);
  });

  it('is JSONPath only: no QueryLanguage, JSONata, Assign or $$.State, which the local engine ignores', () => {
    // Act / Assert
    expect(nonJsonPathFeatures(text, definition)).toEqual([]);
  });

  it('gives every Task a function placeholder, Retry, Catch and a timeout no shorter than the function timeout', () => {
    // Act
    const problems = taskProblems(definition);

    // Assert
    expect(taskStates(definition).length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it("retries AwsTransientError in every Task's Retry", () => {
    // Act / Assert
    expect(tasksNotRetryingTransient(definition)).toEqual([]);
  });

  it('invokes each catalog function from exactly the Tasks its catalog entry lists', () => {
    // Act
    const { catalog, asl } = taskBindings(definition, stateMachine);

    // Assert
    expect(asl).toEqual(catalog);
  });

  it('reaches every state from StartAt and transitions only to states that exist', () => {
    // Act / Assert
    expect(unreachableOrDangling(definition)).toEqual({ unreachable: [], dangling: [] });
  });
});

describe('statemachines/', () => {
  const files = readdirSync(STATEMACHINES_DIR).filter((f) => f.endsWith('.json'));

  it.each(files)('%s passes asl-validator once its placeholders are ARNs', (file) => {
    // Arrange
    const filled: unknown = JSON.parse(substituted(readFileSync(join(STATEMACHINES_DIR, file), 'utf8')));

    // Act
    const result = aslValidator(filled as object, { checkPaths: true, checkArn: true });

    // Assert
    expect(result.errorsText('\n')).toBe('');
  });

  it('holds one ASL file per state machine of the catalog, each with its contract test', () => {
    // Act
    const machines = [...new Set(STEP_FUNCTIONS.map((f) => `${f.stateMachine}.asl.json`))].sort();

    // Assert
    expect(files.sort()).toEqual(machines);
    expect(MACHINES.map(([file]) => file).sort()).toEqual(machines);
  });
});

describe('rollout.asl.json flow', () => {
  const { definition } = readAsl('rollout.asl.json');

  it('routes every failure from Acquire Lock to Verify Public API through its Record Failure state to Roll Back', () => {
    // Arrange
    const notRolledBack = new Set([
      'Validate Spec',
      'Retire Old Endpoints',
      'Release Lock',
      'Roll Back',
      'Check Endpoint Deleted',
      'Clean Up',
      'Release Lock After Failure',
    ]);
    const guarded = taskStates(definition).filter(([name]) => !notRolledBack.has(name));

    // Act
    const routes = guarded.map(([name, s]) => {
      const catchAll = (s.Catch ?? []).find((c) => c.ErrorEquals.includes('States.ALL'));
      const next = catchAll === undefined ? undefined : definition.States[catchAll.Next]?.Next;
      return `${name} -> ${catchAll?.Next ?? '?'} -> ${next ?? '?'}`;
    });

    // Assert
    expect(guarded.length).toBeGreaterThan(5);
    expect(routes).toEqual(guarded.map(([name]) => `${name} -> Record ${name} Failure -> Roll Back`));
  });

  it('goes from Roll Back, whatever happens, through Clean Up and Release Lock After Failure to Rollout Failed', () => {
    // Act
    const s = definition.States;
    const rollBackFailed = s['Roll Back']?.Catch?.[0]?.Next;
    const deletionFailed = s['Check Endpoint Deleted']?.Catch?.[0]?.Next;
    const cleanedUp = s['Clean Up']?.Next;
    const cleanUpFailed = s[s['Clean Up']?.Catch?.[0]?.Next ?? '']?.Next;
    const released = [
      s['Release Lock After Failure']?.Next,
      s['Release Lock After Failure']?.Catch?.[0]?.Next,
    ];

    // Assert
    expect([rollBackFailed, deletionFailed]).toEqual(['Clean Up', 'Clean Up']);
    expect([cleanedUp, cleanUpFailed]).toEqual(['Release Lock After Failure', 'Release Lock After Failure']);
    expect(released).toEqual(['Rollout Failed', 'Rollout Failed']);
    expect(s['Rollout Failed']).toMatchObject({ Type: 'Fail' });
  });

  it("ends a blocked rollout without Roll Back, so it never touches the holder's lock or resources", () => {
    // Act
    const blocked = definition.States['Acquire Lock']?.Catch?.find((c) =>
      c.ErrorEquals.includes('RolloutInProgressError'),
    );

    // Assert: only Pass states between the catcher and the Fail state (no Task runs).
    const path: string[] = [];
    let name = blocked?.Next;
    while (name !== undefined && path.length < 10) {
      path.push(name);
      const state = definition.States[name];
      if (state?.Type !== 'Pass') break;
      name = state.Next;
    }
    expect(path).toEqual(['Explain Blocked Rollout', 'Rollout Blocked']);
    expect(definition.States['Rollout Blocked']).toMatchObject({ Type: 'Fail', Error: 'RolloutInProgress' });
  });
});
