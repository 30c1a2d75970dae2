import {
  InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeClient,
  type InvokeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { runSmokeTestsCore } from '../../lambdas/run-smoke-tests/core';
import { handler } from '../../lambdas/run-smoke-tests/handler';
import { AwsTransientError, InvalidStepInputError, SmokeTestFailedError } from '../../lambdas/shared/errors';
import { deployState, rollbackState } from './switch-health-fixtures';

const runtime = mockClient(SageMakerRuntimeClient);

function body(json: unknown): InvokeEndpointCommandOutput['Body'] {
  return Buffer.from(JSON.stringify(json)) as unknown as InvokeEndpointCommandOutput['Body'];
}

/** Answers like the sentiment model: by the words of the input. */
function answerLikeTheModel(): void {
  runtime.on(InvokeEndpointCommand).callsFake((input: { Body: Uint8Array }) => {
    const { inputs } = JSON.parse(Buffer.from(input.Body).toString()) as { inputs: string | string[] };
    const label = (text: string) => ({
      label: /hate|terrible|awful/.test(text) ? 'NEGATIVE' : 'POSITIVE',
      score: 0.99,
    });
    return {
      Body: body(Array.isArray(inputs) ? inputs.map(label) : [label(inputs)]),
      ContentType: 'application/json',
    };
  });
}

const deps = () => ({ runtime: new SageMakerRuntimeClient({}), clock: () => 0 });

beforeEach(() => runtime.reset());

describe('runSmokeTestsCore', () => {
  it('invokes the new endpoint with every smoke test and records the results', async () => {
    // Arrange
    answerLikeTheModel();
    const state = deployState();

    // Act
    const next = await runSmokeTestsCore(state, deps());

    // Assert
    expect(next.smoke.map((r) => [r.name, r.passed])).toEqual([
      ['positive review', true],
      ['negative review', true],
      ['batch of two', true],
    ]);
    expect(runtime).toHaveReceivedCommandTimes(InvokeEndpointCommand, 3);
    expect(runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, {
      EndpointName: 'sentiment-distilbert-base-20250102-030405-abcd',
      ContentType: 'application/json',
      Accept: 'application/json',
    });
  });

  it('fails with SmokeTestFailedError naming each failing test and its first failure', async () => {
    // Arrange: the model answers POSITIVE to everything, and crashes on batches.
    runtime.on(InvokeEndpointCommand).callsFake((input: { Body: Uint8Array }) => {
      if (Buffer.from(input.Body).toString().includes('[')) {
        throw new ModelError({
          $metadata: { httpStatusCode: 424 },
          message: 'model error',
          OriginalStatusCode: 500,
          OriginalMessage: 'CUDA out of memory',
        });
      }
      return { Body: body([{ label: 'POSITIVE', score: 0.9 }]), ContentType: 'application/json' };
    });

    // Act
    const attempt = runSmokeTestsCore(deployState(), deps());

    // Assert
    await expect(attempt).rejects.toThrow(SmokeTestFailedError);
    await expect(attempt).rejects.toThrow(
      [
        '2 of 3 smoke tests failed on endpoint sentiment-distilbert-base-20250102-030405-abcd, so the API was not switched to it.',
        '- "negative review" (status 200, 0 ms): $[0].label equals: expected "NEGATIVE", got "POSITIVE"',
        '- "batch of two" (status 500, 0 ms): status: expected 200, got 500: CUDA out of memory',
        'Passed: "positive review".',
      ].join('\n'),
    );
  });

  it('fails with AwsTransientError, so the step is retried, when SageMaker throttles', async () => {
    answerLikeTheModel();
    runtime
      .on(InvokeEndpointCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));

    await expect(runSmokeTestsCore(deployState(), deps())).rejects.toThrow(AwsTransientError);
  });

  it('rejects a rollback state, which has no smoke tests', async () => {
    await expect(runSmokeTestsCore(rollbackState(), deps())).rejects.toThrow(InvalidStepInputError);
  });
});

describe('run-smoke-tests handler', () => {
  it('returns the state with the smoke results and the step timing', async () => {
    answerLikeTheModel();
    const state = deployState();

    const next = await handler(state);

    expect(next.smoke).toHaveLength(3);
    expect(next.timings.map((t) => t.step)).toEqual(['Validate Spec', 'Run Smoke Tests']);
  });

  it('passes SmokeTestFailedError through by name, which the ASL catches', async () => {
    runtime
      .on(InvokeEndpointCommand)
      .resolves({ Body: body({ error: 'nope' }), ContentType: 'application/json' });

    await expect(handler(deployState())).rejects.toMatchObject({ name: 'SmokeTestFailedError' });
  });

  it('rejects an event that is not a rollout state', async () => {
    await expect(handler({ hello: 'world' })).rejects.toThrow(InvalidStepInputError);
  });
});
