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
} from './asl-contract';

const FILE = 'health-check.asl.json';
const STATE_MACHINE = 'health-check';

describe(`${FILE} contract`, () => {
  const { text, definition } = readAsl(FILE);

  it('uses exactly the placeholders of the catalog functions of its state machine', () => {
    // Act
    const mismatch = placeholderMismatch(text, STATE_MACHINE);

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
    const { catalog, asl } = taskBindings(definition, STATE_MACHINE);

    // Assert
    expect(asl).toEqual(catalog);
  });

  it('reaches every state from StartAt and transitions only to states that exist', () => {
    // Act / Assert
    expect(unreachableOrDangling(definition)).toEqual({ unreachable: [], dangling: [] });
  });
});
