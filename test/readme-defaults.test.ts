import { readFileSync } from 'node:fs';
import { validateSpec } from '../pipeline/spec';
import { DEFAULT_PREFIX } from '../pipeline/names';
import {
  DEFAULT_ALLOW_HTTP,
  DEFAULT_AUTH,
  DEFAULT_HEALTH_CHECK_SCHEDULE,
  DEFAULT_SERVICES,
} from '../stacks/config';
import { LOCAL_CLOUD_DEFAULTS } from '../local/cloud';

/** Rows `| \`key\` ... | \`value\` |` of the README table under `heading`. */
function table(heading: string): Map<string, unknown> {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(`### ${heading}`);
  if (start < 0) throw new Error(`README has no "### ${heading}" section`);
  const section = readme.slice(start).split('\n').slice(1);
  const end = section.findIndex((line) => line.startsWith('#'));
  const rows = new Map<string, unknown>();
  for (const line of section.slice(0, end < 0 ? undefined : end)) {
    const m = /^\| `([^`]+)`[^|]*\| `([^`]+)` *\|/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) rows.set(m[1], JSON.parse(m[2]) as unknown);
  }
  return rows;
}

const minimal = validateSpec({
  service: 'sentiment',
  model: { id: 'org/model', task: 'text-classification' },
  smokeTests: [{ name: 'a', body: { inputs: 'x' } }],
});
const serverless = validateSpec({
  service: 'sentiment',
  model: { id: 'org/model', task: 'text-classification' },
  endpoint: { type: 'serverless' },
  smokeTests: [{ name: 'a', body: { inputs: 'x' } }],
});

describe('README default settings', () => {
  it('lists the rollout spec defaults the schema fills in', () => {
    const rows = table('Rollout spec defaults');
    const smoke = minimal.smokeTests[0];
    const actual: Record<string, unknown> = {
      'model.revision': minimal.model.revision,
      'model.image': minimal.model.image,
      endpoint: minimal.endpoint,
      'endpoint.memorySizeMb':
        serverless.endpoint.type === 'serverless' ? serverless.endpoint.memorySizeMb : undefined,
      'endpoint.maxConcurrency':
        serverless.endpoint.type === 'serverless' ? serverless.endpoint.maxConcurrency : undefined,
      'smokeTests[].contentType': smoke?.contentType,
      'smokeTests[].accept': smoke?.accept,
      'smokeTests[].expect.status': smoke?.expect.status,
      'smokeTests[].expect.maxLatencyMs': smoke?.expect.maxLatencyMs,
      'rollout.pollIntervalSeconds': minimal.rollout.pollIntervalSeconds,
      'rollout.maxWaitMinutes': minimal.rollout.maxWaitMinutes,
      'rollout.keepPreviousEndpoints': minimal.rollout.keepPreviousEndpoints,
      'rollout.verifyPublicUrl': minimal.rollout.verifyPublicUrl,
      'healthCheck.autoRollback': minimal.healthCheck.autoRollback,
      'healthCheck.failuresBeforeRollback': minimal.healthCheck.failuresBeforeRollback,
    };
    expect(Object.fromEntries(rows)).toEqual(actual);
  });

  it('lists the stack context defaults of stacks/config.ts', () => {
    expect(Object.fromEntries(table('Stack defaults (CDK context, `-c key=value`)'))).toEqual({
      services: DEFAULT_SERVICES,
      prefix: DEFAULT_PREFIX,
      auth: DEFAULT_AUTH,
      allowHttp: DEFAULT_ALLOW_HTTP,
      healthCheckSchedule: DEFAULT_HEALTH_CHECK_SCHEDULE,
    });
  });

  it('lists the local cloud defaults of local/cloud.ts', () => {
    const { accountId: _account, ...documented } = LOCAL_CLOUD_DEFAULTS;
    expect(Object.fromEntries(table('Local cloud defaults (`rollout up` options)'))).toEqual(documented);
  });
});
