import { resolveLive, type ProxyServing } from '../../../lambdas/shared/reconcile';
import type { LiveRecord, LiveTarget, PendingSwitch } from '../../../lambdas/shared/types';

function target(id: string): LiveTarget {
  return {
    rolloutId: id,
    endpointName: id,
    endpointConfigName: id,
    modelName: id,
    modelId: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english',
    modelRevision: 'main',
    task: 'text-classification',
    since: '2025-01-01T00:00:00.000Z',
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:hf-rollout-rollout:${id}`,
  };
}

const A = target('sentiment-a');
const B = target('sentiment-b');
const N = target('sentiment-n');

function pending(kind: PendingSwitch['kind'], to: LiveTarget, rolloutId = to.rolloutId): PendingSwitch {
  return {
    target: to,
    rolloutId,
    executionArn: `arn:x:${rolloutId}`,
    kind,
    since: '2025-01-02T00:00:00.000Z',
  };
}

function proxy(endpointName: string | null): ProxyServing {
  return { endpointName, rolloutId: endpointName, modelId: null };
}

describe('resolveLive', () => {
  it('changes nothing when the proxy serves the current deployment', () => {
    const stored: LiveRecord = { current: A, previous: [B], pending: null };

    const r = resolveLive(stored, proxy(A.endpointName));

    expect(r).toMatchObject({ servedEndpoint: A.endpointName, live: A, changed: false, repairs: [] });
  });

  it('reads the current deployment as served when ENDPOINT_NAME is unset (the proxy falls back to it)', () => {
    const r = resolveLive({ current: A, previous: [], pending: { ...pending('deploy', N) } }, proxy(null));

    expect(r.servedEndpoint).toBe(A.endpointName);
    expect(r.pointer).toEqual({ current: A, previous: [] });
    expect(r.repairs[0]?.finding).toContain('never went live');
  });

  it('commits a pending deploy the proxy serves, keeping the old current for rollback', () => {
    const r = resolveLive(
      { current: A, previous: [B], pending: pending('deploy', N) },
      proxy(N.endpointName),
    );

    expect(r.pointer).toEqual({ current: N, previous: [A, B] });
    expect(r.live).toEqual(N);
    expect(r.changed).toBe(true);
    expect(r.repairs).toEqual([
      {
        rolloutId: N.rolloutId,
        finding: `rollout ${N.rolloutId} went live; it was interrupted after Switch API Target`,
        action: `recorded ${N.endpointName} as live in the live pointer and kept ${A.endpointName} for rollback`,
      },
    ]);
  });

  it("commits a first deployment's pending-only intent", () => {
    const r = resolveLive(
      { current: null, previous: [], pending: pending('deploy', N) },
      proxy(N.endpointName),
    );

    expect(r.pointer).toEqual({ current: N, previous: [] });
  });

  it("commits a pending restore, forgetting the failed rollout's own endpoint", () => {
    const stored: LiveRecord = { current: N, previous: [A, B], pending: pending('restore', A, N.rolloutId) };

    const r = resolveLive(stored, proxy(A.endpointName));

    expect(r.pointer).toEqual({ current: A, previous: [B] });
    expect(r.repairs[0]?.finding).toBe(
      `Roll Back of ${N.rolloutId} restored the API to ${A.endpointName}; it was interrupted before recording it`,
    );
  });

  it('drops a pending restore the proxy does not serve, recording the failed rollout as what serves', () => {
    const stored: LiveRecord = { current: N, previous: [A], pending: pending('restore', A, N.rolloutId) };

    const r = resolveLive(stored, proxy(N.endpointName));

    expect(r.pointer).toEqual({ current: N, previous: [A] });
    expect(r.repairs[0]?.finding).toContain('interrupted before it restored the API');
  });

  it('makes a served kept deployment current', () => {
    const r = resolveLive({ current: A, previous: [B], pending: null }, proxy(B.endpointName));

    expect(r.pointer).toEqual({ current: B, previous: [A] });
    expect(r.repairs[0]?.finding).toContain(`but the live pointer named ${A.endpointName} as live`);
  });

  it('names an endpoint the proxy serves that no record knows, changing nothing', () => {
    const r = resolveLive({ current: A, previous: [], pending: null }, proxy('sentiment-by-hand'));

    expect(r.live).toBeNull();
    expect(r.servedEndpoint).toBe('sentiment-by-hand');
    expect(r.changed).toBe(false);
    expect(r.repairs[0]?.action).toMatch(/^none: /);
  });

  it('drops kept deployments whose endpoint is gone or cannot serve, never the served one', () => {
    const statuses = new Map([
      [B.endpointName, 'Deleted' as const],
      [N.endpointName, 'Failed' as const],
      [A.endpointName, 'InService' as const],
    ]);

    const r = resolveLive({ current: A, previous: [B, N], pending: null }, proxy(A.endpointName), statuses);

    expect(r.pointer).toEqual({ current: A, previous: [] });
    expect(r.repairs.map((x) => x.rolloutId)).toEqual([B.rolloutId, N.rolloutId]);
  });

  it('keeps a kept deployment that is only busy (Updating) or whose status is unknown', () => {
    const statuses = new Map([[B.endpointName, 'Updating' as const]]);

    const r = resolveLive({ current: A, previous: [B, N], pending: null }, proxy(A.endpointName), statuses);

    expect(r.pointer?.previous).toEqual([B, N]);
  });
});
