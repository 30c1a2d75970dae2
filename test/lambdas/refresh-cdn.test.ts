import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { refreshCdnCore } from '../../lambdas/refresh-cdn/core';
import { handler } from '../../lambdas/refresh-cdn/handler';
import { deployState, registration } from './switch-health-fixtures';

const cloudfrontMock = mockClient(CloudFrontClient);
const deps = () => ({ cloudfront: new CloudFrontClient({}) });

beforeEach(() => cloudfrontMock.reset());

describe('refreshCdnCore', () => {
  it("invalidates GET /model on the service's distribution and records the invalidation id", async () => {
    // Arrange
    cloudfrontMock.on(CreateInvalidationCommand).resolves({
      Invalidation: {
        Id: 'I2J0I21PCUYOIK',
        Status: 'InProgress',
        CreateTime: new Date(),
        InvalidationBatch: { CallerReference: 'x', Paths: { Quantity: 2, Items: ['/model', '/model*'] } },
      },
    });

    // Act
    const next = await refreshCdnCore(deployState({ switched: true }), deps());

    // Assert
    expect(next.cdnInvalidationId).toBe('I2J0I21PCUYOIK');
    expect(cloudfrontMock).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      DistributionId: 'E2QWRUHAPOMQZL',
      InvalidationBatch: {
        CallerReference: 'sentiment-distilbert-base-20250102-030405-abcd-refresh-cdn',
        Paths: { Quantity: 2, Items: ['/model', '/model*'] },
      },
    });
  });

  it('asks for the same invalidation when the step is retried, so CloudFront does not make a second one', async () => {
    cloudfrontMock.on(CreateInvalidationCommand).resolves({ Invalidation: undefined });
    const state = deployState({ switched: true });

    await refreshCdnCore(state, deps());
    await refreshCdnCore(state, deps());

    const [first, second] = cloudfrontMock
      .commandCalls(CreateInvalidationCommand)
      .map((c) => c.args[0].input);
    expect(second).toEqual(first);
  });

  it('does nothing for a service without a CDN', async () => {
    const state = deployState({ service: registration({ distributionId: null }) });

    const next = await refreshCdnCore(state, deps());

    expect(next).toBe(state);
    expect(cloudfrontMock).not.toHaveReceivedAnyCommand();
  });
});

describe('refresh-cdn handler', () => {
  it('returns the state with the invalidation id and the step timing', async () => {
    cloudfrontMock.on(CreateInvalidationCommand).resolves({ Invalidation: undefined });

    const next = await handler(deployState());

    expect(next.cdnInvalidationId).toBeNull();
    expect(next.timings.at(-1)?.step).toBe('Refresh CDN');
  });

  it('turns CloudFront throttling into AwsTransientError for the state machine to retry', async () => {
    cloudfrontMock
      .on(CreateInvalidationCommand)
      .rejects(
        Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }),
      );

    await expect(handler(deployState())).rejects.toMatchObject({ name: 'AwsTransientError' });
  });
});
