import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { installResponseCache } from '../../pipeline/console/response-cache';

/** A stand-in Step Functions endpoint: answers from `answers` by operation and counts requests. */
function fakeStepFunctions(
  answers: Record<string, unknown>,
): Promise<{ server: Server; url: string; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    calls.push(operation);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(answers[operation] ?? {}));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls }),
    ),
  );
}

const ARN =
  'arn:aws:states:us-east-1:000000000000:execution:hf-rollout-rollout:sentiment-x-20260101-000000-abcd';

function client(url: string): SFNClient {
  return new SFNClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

describe('installResponseCache', () => {
  let fake: Awaited<ReturnType<typeof fakeStepFunctions>> | undefined;
  afterEach(async () => {
    await new Promise((resolve) => fake?.server.close(resolve));
  });

  it('answers DescribeExecution of an ended execution from the cache', async () => {
    fake = await fakeStepFunctions({
      DescribeExecution: { executionArn: ARN, status: 'SUCCEEDED', startDate: 1, output: '{}' },
    });
    const sfn = client(fake.url);
    const cache = installResponseCache(sfn);

    const first = await sfn.send(new DescribeExecutionCommand({ executionArn: ARN }));
    const second = await sfn.send(new DescribeExecutionCommand({ executionArn: ARN }));

    expect(fake.calls).toEqual(['DescribeExecution']);
    expect(second).toEqual(first);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, entries: 1 });
    sfn.destroy();
  });

  it('asks again about a running execution, and about everything once uninstalled', async () => {
    fake = await fakeStepFunctions({
      DescribeExecution: { executionArn: ARN, status: 'RUNNING', startDate: 1 },
    });
    const sfn = client(fake.url);
    const cache = installResponseCache(sfn);

    await sfn.send(new DescribeExecutionCommand({ executionArn: ARN }));
    await sfn.send(new DescribeExecutionCommand({ executionArn: ARN }));
    cache.uninstall();
    await sfn.send(new DescribeExecutionCommand({ executionArn: ARN }));

    expect(fake.calls).toEqual(['DescribeExecution', 'DescribeExecution', 'DescribeExecution']);
    sfn.destroy();
  });

  it('caches a history page only when it holds the end of the execution', async () => {
    const ended = { events: [{ id: 9, timestamp: 2, type: 'ExecutionFailed' }] };
    fake = await fakeStepFunctions({ GetExecutionHistory: ended });
    const sfn = client(fake.url);
    installResponseCache(sfn);

    await sfn.send(new GetExecutionHistoryCommand({ executionArn: ARN, reverseOrder: true, maxResults: 10 }));
    await sfn.send(new GetExecutionHistoryCommand({ executionArn: ARN, reverseOrder: true, maxResults: 10 }));
    await sfn.send(new GetExecutionHistoryCommand({ executionArn: ARN, maxResults: 1000 }));

    expect(fake.calls).toEqual(['GetExecutionHistory', 'GetExecutionHistory']);
    sfn.destroy();
  });
});
