import { Clock } from '../../local/clock';
import { HealthCheckSchedule, type HealthCheckScheduleDeps } from '../../local/health-checks';
import type { HealthCheckRun } from '../../local/planes';
import type { MetricAlarmConfig } from '../../local/services/cloudwatch-alarms';
import { eventually } from './support/compute-harness';

/** rate(5 minutes) at this scale is a 150 ms period. */
const TIME_SCALE = 0.0005;

function deps(overrides: Partial<HealthCheckScheduleDeps> = {}) {
  const runs: string[] = [];
  const alarms = new Map<string, MetricAlarmConfig>();
  let evaluations = 0;
  const d: HealthCheckScheduleDeps = {
    clock: new Clock(TIME_SCALE),
    prefix: 'hf-rollout',
    region: 'us-east-1',
    accountId: '000000000000',
    services: () => ['sentiment', 'ner'],
    runHealthCheck: (service) => {
      runs.push(service);
      return Promise.resolve<HealthCheckRun>({
        executionArn: `arn:aws:states:us-east-1:000000000000:express:hf-rollout-health-check:${service}:x`,
        status: 'SUCCEEDED',
        startDate: new Date().toISOString(),
      });
    },
    putMetricAlarm: (config) => alarms.set(config.alarmName, config),
    evaluateAlarms: () => {
      evaluations += 1;
    },
    ...overrides,
  };
  return { d, runs, alarms, evaluations: () => evaluations };
}

describe('HealthCheckSchedule', () => {
  it("runs every provisioned service's check each period and keeps each service's alarm, as the stack defines it", async () => {
    // Arrange
    const { d, runs, alarms, evaluations } = deps();
    const schedule = new HealthCheckSchedule(d).start();

    try {
      // Act
      await eventually(() => (runs.filter((s) => s === 'ner').length >= 2 ? true : undefined), 10_000);

      // Assert
      expect(schedule.intervalMs).toBe(150);
      expect(runs.filter((s) => s === 'sentiment').length).toBeGreaterThanOrEqual(2);
      expect([...alarms.keys()].sort()).toEqual([
        'hf-rollout-ner-unhealthy',
        'hf-rollout-sentiment-unhealthy',
      ]);
      expect(alarms.get('hf-rollout-sentiment-unhealthy')).toMatchObject({
        namespace: 'HfRollout',
        metricName: 'HealthCheckSuccess',
        dimensions: [{ Name: 'Service', Value: 'sentiment' }],
        statistic: 'Minimum',
        periodSeconds: 300,
        evaluationPeriods: 2,
        treatMissingData: 'notBreaching',
        alarmActions: ['arn:aws:sns:us-east-1:000000000000:hf-rollout-notifications'],
        okActions: ['arn:aws:sns:us-east-1:000000000000:hf-rollout-notifications'],
      });
      expect(evaluations()).toBeGreaterThan(0);
    } finally {
      await schedule.stop();
    }
  });

  it('skips a check while the previous one of the same service still runs', async () => {
    // Arrange: the first check never ends until released
    let release: () => void = () => undefined;
    const hanging = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { d, runs } = deps({
      services: () => ['sentiment'],
      runHealthCheck: async (service) => {
        runs.push(service);
        await hanging;
        return { executionArn: 'x', status: 'SUCCEEDED', startDate: new Date().toISOString() };
      },
    });
    const schedule = new HealthCheckSchedule(d).start();

    try {
      // Act
      await eventually(
        () => ((schedule.inventory().sentiment?.skipped ?? 0) >= 2 ? true : undefined),
        10_000,
      );

      // Assert
      expect(runs).toEqual(['sentiment']);
    } finally {
      release();
      await schedule.stop();
    }
  });

  it('refuses a schedule faster than a check can run', () => {
    const { d } = deps({ clock: new Clock(0.0001) });

    expect(() => new HealthCheckSchedule(d)).toThrow(/every 30 ms, under 100 ms; use a larger timeScale/);
  });
});
