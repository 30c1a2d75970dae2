import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * `aws --endpoint-url <endpoint> --region us-east-1 --output json <args>`: the real AWS CLI (v1, on
 * this machine's Python) against a local cloud, with dummy credentials and no profile; its JSON answer.
 */
export async function awsCli(endpoint: string, args: readonly string[]): Promise<unknown> {
  const { stdout } = await run(
    'aws',
    ['--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json', ...args],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as unknown;
}
