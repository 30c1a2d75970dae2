import { request } from 'node:http';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { startConsole } from '../../pipeline/console/server';

/** The console server's own rules, without AWS behind it (its clients point at a closed port). */
describe('console server', () => {
  it('refuses a request whose Host is not the loopback address it listens on (DNS rebinding)', async () => {
    const config = {
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const clients = {
      sfn: new SFNClient(config),
      ssm: new SSMClient(config),
      cloudwatch: new CloudWatchClient(config),
      secrets: new SecretsManagerClient(config),
      lambda: new LambdaClient(config),
    };
    const web = await startConsole(
      {
        kind: 'local',
        description: 'test',
        region: 'us-east-1',
        prefix: 'hf-rollout',
        rolloutStateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:hf-rollout-rollout',
        healthCheckStateMachineArn:
          'arn:aws:states:us-east-1:000000000000:stateMachine:hf-rollout-health-check',
        clients,
        ensureService: () => Promise.reject(new Error('not used')),
        close: () => Promise.resolve(),
      },
      { port: 0 },
    );
    const get = (host: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const url = new URL(web.url);
        const req = request(
          { host: url.hostname, port: url.port, path: '/api/info', headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });

    try {
      expect(await get(`attacker.example:${new URL(web.url).port}`)).toBe(421);
      expect(await get(`localhost:${new URL(web.url).port}`)).toBe(200);
      expect(await get(new URL(web.url).host)).toBe(200);
    } finally {
      await web.close();
      Object.values(clients).forEach((c) => c.destroy());
    }
  });
});
