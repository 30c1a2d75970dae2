import { useEffect, useState } from 'preact/hooks';
import type { RolloutDetail } from '../../history';
import type { SmokeResult } from '../../../lambdas/shared/types';
import { api, duration, when } from './client';
import { timelineRows } from './timeline-rows';

/** A rollout: header, failure, step timeline, smoke results, input spec and Deployment record. */
export function RolloutPage({ id }: { id: string }) {
  const [r, setR] = useState<RolloutDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const detail = await api.rollout(id);
        if (!alive) return;
        setR(detail);
        setError(null);
        // Refresh while it runs, without reloading the page.
        if (detail.status === 'RUNNING') timer = setTimeout(() => void load(), 1000);
      } catch (e) {
        if (!alive) return;
        setError((e as Error).message);
        // A rollout that does not exist yet (just started elsewhere) or a passing outage: try again.
        timer = setTimeout(() => void load(), 2000);
      }
    };
    void load();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [id]);

  if (error !== null && r === null)
    return (
      <p class="error">
        Cannot read rollout {id}: {error}
      </p>
    );
  if (r === null) return <p class="muted">Loading…</p>;
  const smoke: readonly SmokeResult[] = r.record?.smoke ?? [];
  return (
    <div data-testid="rollout-page" data-status={r.status}>
      <p>
        <a href="#/">← all rollouts</a>
      </p>
      <h2>
        {r.rolloutId} <span class={`status ${r.status}`}>{r.status.toLowerCase()}</span>
      </h2>
      <dl class="facts">
        <dt>kind</dt>
        <dd>
          {r.kind}
          {r.service === null ? '' : ` of ${r.service}`}
        </dd>
        {r.model !== null && (
          <>
            <dt>model</dt>
            <dd>
              {r.model.id}@{r.model.revision} ({r.model.task})
            </dd>
          </>
        )}
        <dt>requested</dt>
        <dd>
          {r.requestedBy ?? '—'}, {when(r.startedAt)}
          {r.reason === null ? '' : ` — ${r.reason}`}
        </dd>
        <dt>took</dt>
        <dd>
          {duration(r.durationMs)}
          {r.finishedAt === null ? ' so far' : ''}
        </dd>
        <dt>endpoint</dt>
        <dd>{r.endpointName ?? '—'}</dd>
        <dt>previous</dt>
        <dd>{r.previousEndpoint ?? '(none)'}</dd>
      </dl>
      {r.failure !== null && (
        <div class="failure" data-testid="failure">
          <strong>Failed at {r.failure.step ?? '?'}</strong> ({r.failure.error})
          <p data-testid="failure-cause">{r.failure.message}</p>
        </div>
      )}
      <h3>Steps</h3>
      <Timeline r={r} />
      {smoke.length > 0 && (
        <>
          <h3>Smoke tests</h3>
          <SmokeTable results={smoke} testId="smoke-tests" />
        </>
      )}
      {r.record?.publicCheck != null && (
        <>
          <h3>Public API check</h3>
          <SmokeTable results={[r.record.publicCheck]} testId="public-check" />
        </>
      )}
      {(r.record?.warnings.length ?? 0) > 0 && (
        <ul class="warnings">
          {r.record?.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <details>
        <summary>Input</summary>
        <pre data-testid="input">{JSON.stringify(r.input, null, 2)}</pre>
      </details>
      <details open={r.record !== null}>
        <summary>Deployment record</summary>
        <pre data-testid="record">
          {r.record === null
            ? '(none: the rollout has not finished, or failed before it could be written)'
            : JSON.stringify(r.record, null, 2)}
        </pre>
      </details>
    </div>
  );
}

function Timeline({ r }: { r: RolloutDetail }) {
  const rows = timelineRows(r.steps);
  const start = Date.parse(r.startedAt);
  const now = Date.now();
  const end = Math.max(start + 1, ...rows.map((s) => (s.exitedAt === null ? now : Date.parse(s.exitedAt))));
  const span = end - start;
  return (
    <table class="timeline" data-testid="timeline">
      <thead>
        <tr>
          <th>step</th>
          <th>started</th>
          <th>took</th>
          <th>runs</th>
          <th>retries</th>
          <th class="bar-col" />
        </tr>
      </thead>
      <tbody>
        {rows.map((s) => {
          const entered = Date.parse(s.enteredAt);
          const left = ((entered - start) / span) * 100;
          const exited = s.exitedAt === null ? now : Date.parse(s.exitedAt);
          const width = Math.max(0.4, ((exited - entered) / span) * 100);
          return (
            <tr
              data-testid="timeline-step"
              data-step={s.name}
              data-status={s.status}
              data-visits={s.visits}
              key={s.name}
            >
              <td>
                {s.name}
                {s.error !== null && (
                  <div class="bad small" title={s.cause ?? undefined}>
                    {s.error}
                  </div>
                )}
              </td>
              <td>{new Date(s.enteredAt).toLocaleTimeString()}</td>
              <td>{s.durationMs === null ? 'running…' : duration(s.durationMs)}</td>
              <td>{s.visits > 1 ? `×${s.visits}` : ''}</td>
              <td>{s.retries > 0 ? s.retries : ''}</td>
              <td class="bar-col">
                <div
                  class={`bar ${s.status} ${s.type}`}
                  style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }}
                />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function SmokeTable({ results, testId }: { results: readonly SmokeResult[]; testId: string }) {
  return (
    <table class="smoke" data-testid={testId}>
      <thead>
        <tr>
          <th>test</th>
          <th>result</th>
          <th>status</th>
          <th>latency</th>
          <th>answer / failures</th>
        </tr>
      </thead>
      <tbody>
        {results.map((s) => (
          <tr data-testid="smoke-row" data-passed={String(s.passed)} key={s.name}>
            <td>{s.name}</td>
            <td class={s.passed ? 'ok' : 'bad'}>{s.passed ? 'passed' : 'failed'}</td>
            <td>{s.status ?? '—'}</td>
            <td>{duration(s.latencyMs)}</td>
            <td class="mono">{s.passed ? s.responsePreview : s.failures.join('; ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
