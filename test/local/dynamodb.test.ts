import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { startDataPlane, tempDir, type DataPlaneHarness } from './data-plane-harness';

const TABLE = 'hf-rollout-locks';
const LOCK_CONDITION = 'attribute_not_exists(#service) OR #holder = :me OR #expiresAt < :now';

let h: DataPlaneHarness;
let ddb: DynamoDBClient;

beforeEach(async () => {
  h = await startDataPlane();
  ddb = new DynamoDBClient(h.client);
});

afterEach(async () => {
  ddb.destroy();
  await h.stop();
});

function lock(holder: string, expiresAt: number, now: number) {
  return new PutItemCommand({
    TableName: TABLE,
    Item: { service: { S: 'sentiment' }, holder: { S: holder }, expiresAt: { N: String(expiresAt) } },
    ConditionExpression: LOCK_CONDITION,
    ExpressionAttributeNames: { '#service': 'service', '#holder': 'holder', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':me': { S: holder }, ':now': { N: String(now) } },
  });
}

async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

describe('DynamoDB', () => {
  it('has the lock table from the start', async () => {
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual([TABLE]);
    const table = await ddb.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(table.Table).toMatchObject({
      TableName: TABLE,
      TableStatus: 'ACTIVE',
      KeySchema: [{ AttributeName: 'service', KeyType: 'HASH' }],
      TableArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${TABLE}`,
    });
  });

  it('takes a free lock, refuses it to another holder until it expires, and lets the holder retake it', async () => {
    await ddb.send(lock('exec-1', 1000, 500));
    const refused = await failure(ddb.send(lock('exec-2', 2000, 600)));
    expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
    expect(refused.name).toBe('ConditionalCheckFailedException');
    expect(refused.message).toBe('The conditional request failed');
    expect((refused.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    await ddb.send(lock('exec-1', 1500, 700));
    await ddb.send(lock('exec-2', 3000, 1600));
    const item = await ddb.send(
      new GetItemCommand({ TableName: TABLE, Key: { service: { S: 'sentiment' } }, ConsistentRead: true }),
    );
    expect(item.Item).toEqual({
      service: { S: 'sentiment' },
      holder: { S: 'exec-2' },
      expiresAt: { N: '3000' },
    });
  });

  it('returns the old item with ReturnValues ALL_OLD and on a failed check when asked', async () => {
    await ddb.send(lock('exec-1', 1000, 0));
    const put = await ddb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { service: { S: 'sentiment' }, holder: { S: 'x' } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(put.Attributes?.holder).toEqual({ S: 'exec-1' });
    const refused = await failure(
      ddb.send(
        new DeleteItemCommand({
          TableName: TABLE,
          Key: { service: { S: 'sentiment' } },
          ConditionExpression: '#holder = :me',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':me': { S: 'not-me' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(refused.Item).toEqual({ service: { S: 'sentiment' }, holder: { S: 'x' } });
  });

  it('releases a lock only for its holder', async () => {
    await ddb.send(lock('exec-1', 1000, 0));
    const release = (holder: string) =>
      new DeleteItemCommand({
        TableName: TABLE,
        Key: { service: { S: 'sentiment' } },
        ConditionExpression: '#holder = :me',
        ExpressionAttributeNames: { '#holder': 'holder' },
        ExpressionAttributeValues: { ':me': { S: holder } },
        ReturnValues: 'ALL_OLD',
      });
    await expect(failure(ddb.send(release('exec-9')))).resolves.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    const out = await ddb.send(release('exec-1'));
    expect(out.Attributes?.holder).toEqual({ S: 'exec-1' });
    expect(
      (await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { service: { S: 'sentiment' } } }))).Item,
    ).toBeUndefined();
  });

  it('updates an item with SET and REMOVE and returns the new item', async () => {
    await ddb.send(lock('exec-1', 1000, 0));
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { service: { S: 'sentiment' } },
        UpdateExpression: 'SET #expiresAt = #expiresAt + :more, note = :note REMOVE #holder',
        ConditionExpression: 'attribute_exists(#holder)',
        ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#holder': 'holder' },
        ExpressionAttributeValues: { ':more': { N: '60' }, ':note': { S: 'extended' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(out.Attributes).toEqual({
      service: { S: 'sentiment' },
      expiresAt: { N: '1060' },
      note: { S: 'extended' },
    });
  });

  it('answers ResourceNotFoundException for an unknown table', async () => {
    const error = await failure(
      ddb.send(new GetItemCommand({ TableName: 'nope', Key: { service: { S: 'x' } } })),
    );
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe('Requested resource not found');
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
  });

  it('validates keys and expressions with DynamoDB messages', async () => {
    await expect(
      failure(ddb.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'x' } } }))),
    ).resolves.toMatchObject({
      name: 'ValidationException',
      message: 'The provided key element does not match the schema',
    });
    await expect(
      failure(ddb.send(new PutItemCommand({ TableName: TABLE, Item: { service: { N: '1' } } }))),
    ).resolves.toMatchObject({
      message:
        'One or more parameter values were invalid: Type mismatch for key service expected: S actual: N',
    });
    await expect(
      failure(
        ddb.send(
          new PutItemCommand({
            TableName: TABLE,
            Item: { service: { S: 'x' } },
            ConditionExpression: 'attribute_not_exists(service)',
            ExpressionAttributeValues: { ':unused': { S: 'x' } },
          }),
        ),
      ),
    ).resolves.toMatchObject({
      message: 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}',
    });
  });

  it('keeps items across a restart on the same data folder', async () => {
    const tmp = tempDir();
    try {
      await h.stop();
      ddb.destroy();
      h = await startDataPlane({ dataDir: tmp.dir });
      ddb = new DynamoDBClient(h.client);
      await ddb.send(lock('exec-1', 1000, 0));
      await h.stop();
      ddb.destroy();
      h = await startDataPlane({ dataDir: tmp.dir });
      ddb = new DynamoDBClient(h.client);
      const item = await ddb.send(
        new GetItemCommand({ TableName: TABLE, Key: { service: { S: 'sentiment' } } }),
      );
      expect(item.Item?.holder).toEqual({ S: 'exec-1' });
    } finally {
      tmp.remove();
    }
  });
});
