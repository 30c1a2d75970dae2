import { App } from 'aws-cdk-lib';
import { parseServices, readAppConfig, scheduleRateMinutes } from '../../stacks/config';

describe('readAppConfig', () => {
  it('defaults to the sentiment service, prefix hf-rollout, a 5-minute health check, API keys and HTTPS only', () => {
    const app = new App();

    expect(readAppConfig(app.node)).toEqual({
      prefix: 'hf-rollout',
      services: ['sentiment'],
      healthCheckSchedule: 'rate(5 minutes)',
      auth: 'api-key',
      allowHttp: false,
    });
  });

  it('reads every setting from context', () => {
    const app = new App({
      context: {
        prefix: 'ml',
        services: 'sentiment, ner',
        healthCheckSchedule: 'rate(1 hour)',
        auth: 'none',
        allowHttp: 'true',
      },
    });

    expect(readAppConfig(app.node)).toEqual({
      prefix: 'ml',
      services: ['sentiment', 'ner'],
      healthCheckSchedule: 'rate(1 hour)',
      auth: 'none',
      allowHttp: true,
    });
  });

  it('reads allowHttp as a cdk.json boolean too', () => {
    expect(readAppConfig(new App({ context: { allowHttp: true } }).node).allowHttp).toBe(true);
    expect(readAppConfig(new App({ context: { allowHttp: 'false' } }).node).allowHttp).toBe(false);
  });

  it.each([
    [{ prefix: 'HF_Rollout' }, /Context "prefix" is "HF_Rollout"/],
    [{ auth: 'oauth' }, /Context "auth" is "oauth"; use "api-key" \(default\) or "none"/],
    [{ healthCheckSchedule: 'cron(0 * * * ? *)' }, /is not a rate expression; use e\.g\. rate\(5 minutes\)/],
    [{ prefix: '' }, /Context "prefix" is ""; give a non-empty string/],
    [{ allowHttp: 'yes' }, /Context "allowHttp" is "yes"; use true or false \(e\.g\. -c allowHttp=true\)/],
  ])('rejects context %j, naming the value and the fix', (context, message) => {
    const app = new App({ context });

    expect(() => readAppConfig(app.node)).toThrow(message);
  });
});

describe('parseServices', () => {
  it.each([
    ['sentiment', ['sentiment']],
    ['sentiment,ner', ['sentiment', 'ner']],
    [' sentiment , ner ', ['sentiment', 'ner']],
    ['["sentiment","ner"]', ['sentiment', 'ner']],
    [
      ['sentiment', 'ner'],
      ['sentiment', 'ner'],
    ],
  ])('reads %j', (value, expected) => {
    expect(parseServices(value)).toEqual(expected);
  });

  it.each([
    ['', /give at least one service name/],
    [[], /give at least one service name/],
    ['["sentiment"', /not a valid JSON array/],
    ['Sentiment', /Service name "Sentiment" in context "services" is invalid/],
    ['a-very-long-service-name-x', /is invalid/],
    ['sentiment,sentiment', /lists "sentiment" twice/],
    [[1], /give at least one service name/],
  ])('rejects %j', (value, message) => {
    expect(() => parseServices(value)).toThrow(message);
  });
});

describe('scheduleRateMinutes', () => {
  it.each([
    ['rate(5 minutes)', 5],
    ['rate(1 minute)', 1],
    ['rate(2 hours)', 120],
    ['rate(1 day)', 1440],
  ])('reads %s as %i minutes', (expression, minutes) => {
    expect(scheduleRateMinutes(expression)).toBe(minutes);
  });

  it.each(['rate(0 minutes)', 'rate(5 minute)', 'rate(1 minutes)', 'every 5 minutes', 'rate(5 seconds)'])(
    'rejects %s',
    (expression) => {
      expect(() => scheduleRateMinutes(expression)).toThrow(/Health check schedule/);
    },
  );
});
