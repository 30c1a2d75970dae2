import { CreateTopicCommand, ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { PublishedMessage } from '../../local/services/sns';
import { startDataPlane, type DataPlaneHarness } from './data-plane-harness';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:hf-rollout-notifications';

let h: DataPlaneHarness;
let sns: SNSClient;

beforeEach(async () => {
  h = await startDataPlane();
  sns = new SNSClient(h.client);
});

afterEach(async () => {
  sns.destroy();
  await h.stop();
});

function messages(): PublishedMessage[] {
  return (h.plane.inventory() as { sns: { messages: PublishedMessage[] } }).sns.messages;
}

describe('SNS', () => {
  it('has the notification topic from the start', async () => {
    const out = await sns.send(new ListTopicsCommand({}));
    expect(out.Topics).toEqual([{ TopicArn: TOPIC }]);
  });

  it('publishes to the topic and keeps the message with its subject and attributes', async () => {
    const out = await sns.send(
      new PublishCommand({
        TopicArn: TOPIC,
        Subject: 'Rollout failed: sentiment',
        Message: 'Endpoint <x> & "y" failed',
        MessageAttributes: {
          service: { DataType: 'String', StringValue: 'sentiment' },
          attempt: { DataType: 'Number', StringValue: '2' },
        },
      }),
    );
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(messages()).toEqual([
      {
        messageId: out.MessageId,
        topicArn: TOPIC,
        subject: 'Rollout failed: sentiment',
        message: 'Endpoint <x> & "y" failed',
        messageAttributes: {
          service: { DataType: 'String', StringValue: 'sentiment' },
          attempt: { DataType: 'Number', StringValue: '2' },
        },
        publishedAt: expect.any(String) as unknown,
      },
    ]);
  });

  it('answers NotFound for a topic that does not exist', async () => {
    const error = await sns
      .send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:nope', Message: 'x' }))
      .catch((e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode: number } });
    expect(error).toMatchObject({
      name: 'NotFoundException',
      message: 'Topic does not exist',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('refuses an empty message and a subject over 100 characters', async () => {
    await expect(sns.send(new PublishCommand({ TopicArn: TOPIC, Message: '' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Invalid parameter: Message',
    });
    await expect(
      sns.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x', Subject: 's'.repeat(101) })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Invalid parameter: Subject' });
    expect(messages()).toEqual([]);
  });

  it('creates topics idempotently', async () => {
    const a = await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
    const b = await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
    expect(a.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:alerts');
    expect(b.TopicArn).toBe(a.TopicArn);
    expect((await sns.send(new ListTopicsCommand({}))).Topics).toHaveLength(2);
  });

  it('answers a declared fault on Publish and keeps nothing', async () => {
    h.faults.add({ operation: 'SNS.Publish', outcome: { error: 'InternalError', status: 500 }, count: 1 });
    await expect(sns.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 },
    });
    expect(messages()).toEqual([]);
  });

  it('empties messages but keeps the notification topic on reset', async () => {
    await sns.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x' }));
    await sns.send(new CreateTopicCommand({ Name: 'extra' }));
    h.plane.reset();
    expect(messages()).toEqual([]);
    expect((await sns.send(new ListTopicsCommand({}))).Topics).toEqual([{ TopicArn: TOPIC }]);
  });
});
