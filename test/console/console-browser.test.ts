import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { LocalCloud } from '../../local/cloud';
import { startConsole, type ConsoleServer } from '../../pipeline/console/server';
import { resolveTarget, type Target } from '../../pipeline/target';
import { HAPPY_PATH_TASKS } from '../e2e/support/specs';
import {
  clientConfig,
  ended,
  eventually,
  rollOut,
  ROOT,
  sentimentSpec,
  startRollout,
} from './support/rollouts';

/**
 * The console in a real browser (Debian's chromium driven by playwright-core) against a local cloud
 * with the health schedule on: a successful and a failing rollout, then what a person checks first.
 * Screenshots go to test/screenshots/ (git-ignored).
 */

const SCREENSHOTS = join(ROOT, 'test', 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const FAILURE_REASON = 'CUDA error: out of memory while loading the model weights';

let cloud: LocalCloud;
let sfn: SFNClient;
let target: Target;
let web: ConsoleServer;
let profile: string;
let context: BrowserContext;
let page: Page;
const spec = sentimentSpec();
let succeeded = '';
let failed = '';

beforeAll(async () => {
  cloud = await LocalCloud.start({
    dataDir: null,
    port: 0,
    edgePort: 0,
    timeScale: 0.01,
    services: ['sentiment'],
    healthChecks: true,
  });
  sfn = new SFNClient(clientConfig(cloud));
  target = await resolveTarget({ endpoint: cloud.endpoint });
  web = await startConsole(target, { port: 0 });
  profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(SCREENSHOTS, { recursive: true });

  // A successful rollout, then one whose endpoint fails to start (a declared fault).
  const ok = await rollOut(sfn, spec);
  cloud.faults.add({
    operation: 'SageMaker.EndpointLifecycle',
    match: { EndpointName: 'sentiment-*' },
    count: 1,
    outcome: { endpointStatus: 'Failed', failureReason: FAILURE_REASON },
  });
  const bad = await rollOut(sfn, spec);
  succeeded = ok.rolloutId;
  failed = bad.rolloutId;
  if (ok.outcome.status !== 'SUCCEEDED' || bad.outcome.status !== 'FAILED') {
    throw new Error(
      `Setup: expected SUCCEEDED then FAILED, got ${ok.outcome.status} (${ok.outcome.cause ?? ''}) and ${bad.outcome.status}`,
    );
  }
}, 180_000);

afterAll(async () => {
  await context?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  await web?.close();
  await target?.close();
  sfn?.destroy();
  await cloud?.stop();
});

function row(rolloutId: string) {
  return page.locator(`[data-testid="rollout-row"][data-rollout="${rolloutId}"]`);
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
}

describe('the deployment history console in a browser', () => {
  it('lists both rollouts with their status, the failing one with its failed step and cause', async () => {
    // Act
    await page.goto(web.url);
    await row(failed).waitFor();
    await row(succeeded).waitFor();
    await screenshot('overview');

    // Assert
    expect(await row(succeeded).getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await row(failed).getAttribute('data-status')).toBe('FAILED');
    const failure = row(failed).getByTestId('row-failure');
    expect(await failure.getAttribute('data-step')).toBe('Check Endpoint');
    expect(await failure.textContent()).toContain(FAILURE_REASON);
  });

  it("shows the failing rollout's failed step and cause on its page", async () => {
    // Act
    await row(failed).getByRole('link', { name: failed }).click();
    await page.getByTestId('failure').waitFor();
    await screenshot('failed-rollout');

    // Assert
    expect(await page.getByTestId('rollout-page').getAttribute('data-status')).toBe('FAILED');
    expect(await page.getByTestId('failure').textContent()).toContain('Failed at Check Endpoint');
    expect(await page.getByTestId('failure-cause').textContent()).toContain(FAILURE_REASON);
    const checkEndpoint = page.locator('[data-testid="timeline-step"][data-step="Check Endpoint"]');
    expect(await checkEndpoint.getAttribute('data-status')).toBe('failed');
  });

  it('shows the successful rollout as what is live', async () => {
    // Act
    await page.goto(`${web.url}/#/`);
    const card = page.getByTestId('live-sentiment');
    await card.getByTestId('live-endpoint').waitFor();

    // Assert
    expect(await card.getByTestId('live-endpoint').getAttribute('data-rollout')).toBe(succeeded);
    expect(await card.getByTestId('live-endpoint').textContent()).toBe(succeeded);
    expect(await card.getByTestId('live-model').textContent()).toContain(`${spec.model.id}@main`);
  });

  it('shows every step of the successful rollout on its timeline', async () => {
    // Arrange: the states the execution entered, from Step Functions itself
    const history = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: `arn:aws:states:us-east-1:000000000000:execution:hf-rollout-rollout:${succeeded}`,
        maxResults: 1000,
      }),
    );
    const entered = [
      ...new Set(
        (history.events ?? [])
          .filter((e) => e.type?.endsWith('StateEntered') === true && e.type !== 'ChoiceStateEntered')
          .map((e) => e.stateEnteredEventDetails?.name ?? ''),
      ),
    ];

    // Act
    await page.goto(`${web.url}/#/rollouts/${succeeded}`);
    await page.getByTestId('timeline').waitFor();
    await screenshot('successful-rollout');
    const steps = await page
      .getByTestId('timeline-step')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-step'), r.getAttribute('data-status')]));

    // Assert
    expect(steps.map(([name]) => name)).toEqual(entered);
    expect(steps.map(([name]) => name)).toEqual(expect.arrayContaining(HAPPY_PATH_TASKS));
    expect(steps.filter(([, status]) => status !== 'succeeded')).toEqual([]);
    const smoke = await page
      .getByTestId('smoke-tests')
      .getByTestId('smoke-row')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-passed'), r.children[3]?.textContent]));
    expect(smoke).toHaveLength(spec.smokeTests.length);
    expect(
      smoke.every(([passed, latency]) => passed === 'true' && /\d+(\.\d+)? m?s/.test(latency ?? '')),
    ).toBe(true);
  });

  it('charts health points once scheduled checks have run', async () => {
    // Arrange: wait for the schedule (nothing here runs a check)
    await eventually(() => {
      const runs = cloud.inventory().scheduledHealthChecks as Record<string, { runs: number }>;
      return (runs.sentiment?.runs ?? 0) >= 2 ? true : undefined;
    }, 30_000);

    // Act
    await page.goto(`${web.url}/#/`);
    await page.getByTestId('window-5').click();
    const chart = page.getByTestId('live-sentiment').getByTestId('health-chart');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="health-chart"]')?.getAttribute('data-points')) > 0,
      undefined,
      { timeout: 30_000 },
    );
    await screenshot('health');

    // Assert
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('live-health').getAttribute('data-result')).toBe('healthy');
  }, 60_000);

  it('refreshes while a rollout runs, without reloading the page', async () => {
    // Arrange: a slow endpoint (15 s here) so the running rollout is seen running
    await page.goto(`${web.url}/#/`);
    await row(succeeded).waitFor();
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    cloud.faults.add({
      operation: 'SageMaker.EndpointLifecycle',
      match: { EndpointName: 'sentiment-*' },
      count: 1,
      outcome: { creationSeconds: 1500 },
    });

    // Act
    const { rolloutId, executionArn } = await startRollout(sfn, spec);
    await row(rolloutId).and(page.locator('[data-status="RUNNING"]')).waitFor({ timeout: 30_000 });
    await screenshot('running');
    const outcome = await ended(sfn, executionArn);
    await row(rolloutId).and(page.locator('[data-status="SUCCEEDED"]')).waitFor({ timeout: 30_000 });
    await screenshot('after-running');

    // Assert
    expect(outcome.status).toBe('SUCCEEDED');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    expect(await page.getByTestId('live-endpoint').getAttribute('data-rollout')).toBe(rolloutId);
  }, 120_000);
});
