import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseHealth, readHealth, writeHealth } from '../../../lambdas/shared/health-parameter';
import { INITIAL_HEALTH, type HealthRecord } from '../../../lambdas/shared/health-types';
import { fixture } from '../switch-health-fixtures';

const ssmMock = mockClient(SSMClient);
const ssm = new SSMClient({});

beforeEach(() => ssmMock.reset());

describe('readHealth', () => {
  it("reads the service's health parameter", async () => {
    const stored = fixture<HealthRecord>('health-record-unhealthy.json');
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(stored) } });

    await expect(readHealth(ssm, 'hf-rollout', 'sentiment')).resolves.toEqual(stored);
    expect(ssmMock).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/hf-rollout/sentiment/health' });
  });

  it('starts from zero when the parameter does not exist yet', async () => {
    ssmMock.on(GetParameterCommand).rejects(Object.assign(new Error('x'), { name: 'ParameterNotFound' }));

    await expect(readHealth(ssm, 'hf-rollout', 'sentiment')).resolves.toEqual({
      consecutiveFailures: 0,
      lastCheckAt: null,
      lastResult: null,
      lastLatencyMs: null,
      lastEndpoint: null,
    });
  });

  it('rejects other SSM errors', async () => {
    ssmMock
      .on(GetParameterCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    await expect(readHealth(ssm, 'hf-rollout', 'sentiment')).rejects.toThrow('denied');
  });
});

describe('parseHealth', () => {
  it('starts over from a value that is not JSON rather than stopping health checks', () => {
    expect(parseHealth('{oops')).toEqual(INITIAL_HEALTH);
  });

  it('drops fields of the wrong type', () => {
    expect(
      parseHealth('{"consecutiveFailures":-2,"lastResult":"meh","lastAutoRollback":{"executionName":1}}'),
    ).toEqual(INITIAL_HEALTH);
  });
});

describe('writeHealth', () => {
  it('overwrites the parameter with the record as JSON', async () => {
    ssmMock.on(PutParameterCommand).resolves({});
    const record = fixture<HealthRecord>('health-record-unhealthy.json');

    await writeHealth(ssm, 'hf-rollout', 'sentiment', record);

    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/hf-rollout/sentiment/health',
      Value: JSON.stringify(record),
      Overwrite: true,
      Type: 'String',
    });
  });
});
