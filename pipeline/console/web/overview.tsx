import { useEffect, useState } from 'preact/hooks';
import type { RolloutSummary } from '../../history';
import type { ServiceOverview } from '../api';
import { ago, api, duration, when } from './client';
import { HealthChart } from './health-chart';

/** What is live per service, its health, and the rollout history with filters and paging. */
export function Overview() {
  const [services, setServices] = useState<ServiceOverview[] | null>(null);
  const [rows, setRows] = useState<RolloutSummary[]>([]);
  const [nextToken, setNextToken] = useState<string | undefined>(undefined);
  const [extraPages, setExtraPages] = useState(false);
  const [service, setService] = useState('');
  const [status, setStatus] = useState('');
  const [minutes, setMinutes] = useState(60);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const [svc, page] = await Promise.all([api.services(), api.rollouts({ service, status })]);
        if (!alive) return;
        setServices(svc);
        // Refresh the first page in place; rows loaded with "more" stay until a filter changes.
        setRows((old) =>
          extraPages ? [...page.rollouts, ...old.slice(page.rollouts.length)] : [...page.rollouts],
        );
        if (!extraPages) setNextToken(page.nextToken);
        setError(null);
      } catch (e) {
        if (alive) setError((e as Error).message);
      }
    };
    void load();
    const timer = setInterval(() => void load(), 3000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [service, status, extraPages]);

  const more = async () => {
    if (nextToken === undefined) return;
    const page = await api.rollouts({ service, status, nextToken });
    setExtraPages(true);
    setRows((old) => [...old, ...page.rollouts]);
    setNextToken(page.nextToken);
  };
  const filter = (f: () => void) => {
    setExtraPages(false);
    f();
  };

  return (
    <div>
      {error !== null && <p class="error">Cannot read history: {error}</p>}
      <section>
        <h2>Live now</h2>
        {services === null ? (
          <p class="muted">Loading…</p>
        ) : services.length === 0 ? (
          <p class="muted">
            No services yet. Deploy one with <code>rollout deploy examples/sentiment.json</code>.
          </p>
        ) : (
          <div class="cards">
            {services.map((s) => (
              <div class="card" data-testid={`live-${s.service}`} key={s.service}>
                <h3>{s.service}</h3>
                {s.live === null ? (
                  <p class="muted">Nothing deployed yet.</p>
                ) : (
                  <dl>
                    <dt>model</dt>
                    <dd data-testid="live-model">
                      {s.live.modelId}@{s.live.modelRevision} <span class="muted">({s.live.task})</span>
                    </dd>
                    <dt>endpoint</dt>
                    <dd data-testid="live-endpoint">
                      <a href={`#/rollouts/${s.live.rolloutId}`}>{s.live.endpointName}</a>
                    </dd>
                    <dt>since</dt>
                    <dd title={s.live.since}>
                      {when(s.live.since)} ({ago(s.live.since)})
                    </dd>
                    <dt>kept</dt>
                    <dd>
                      {s.previous.length === 0 ? '—' : s.previous.map((p) => p.endpointName).join(', ')}
                    </dd>
                    <dt>health</dt>
                    <dd data-testid="live-health">
                      {s.health?.lastResult == null ? (
                        <span class="muted">not checked yet</span>
                      ) : (
                        <span class={s.health.lastResult === 'healthy' ? 'ok' : 'bad'}>
                          {s.health.lastResult}
                          {s.health.lastLatencyMs === null
                            ? ''
                            : `, ${Math.round(s.health.lastLatencyMs)} ms`}
                          , {ago(s.health.lastCheckAt)}
                          {s.health.consecutiveFailures > 0
                            ? `, ${s.health.consecutiveFailures} failure(s) in a row`
                            : ''}
                        </span>
                      )}
                    </dd>
                  </dl>
                )}
                {s.live !== null && <HealthChart service={s.service} minutes={minutes} />}
              </div>
            ))}
          </div>
        )}
        <p class="muted small">
          Health window:{' '}
          {[15, 60, 24 * 60].map((m) => (
            <button class={m === minutes ? 'chip on' : 'chip'} onClick={() => setMinutes(m)} key={m}>
              {m < 60 ? `${m} min` : m === 60 ? '1 h' : '24 h'}
            </button>
          ))}
        </p>
      </section>
      <section>
        <h2>Rollouts</h2>
        <div class="filters">
          <label>
            service{' '}
            <select
              value={service}
              onChange={(e) => filter(() => setService((e.target as HTMLSelectElement).value))}
              data-testid="filter-service"
            >
              <option value="">all</option>
              {(services ?? []).map((s) => (
                <option value={s.service} key={s.service}>
                  {s.service}
                </option>
              ))}
            </select>
          </label>
          <label>
            status{' '}
            <select
              value={status}
              onChange={(e) => filter(() => setStatus((e.target as HTMLSelectElement).value))}
              data-testid="filter-status"
            >
              <option value="">all</option>
              {['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'].map((s) => (
                <option value={s} key={s}>
                  {s.toLowerCase()}
                </option>
              ))}
            </select>
          </label>
        </div>
        <table class="history">
          <thead>
            <tr>
              <th>rollout</th>
              <th>status</th>
              <th>model</th>
              <th>by</th>
              <th>started</th>
              <th>took</th>
              <th>failed at: cause</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                data-testid="rollout-row"
                data-rollout={r.rolloutId}
                data-status={r.status}
                key={r.rolloutId}
              >
                <td>
                  <a href={`#/rollouts/${r.rolloutId}`}>{r.rolloutId}</a>
                </td>
                <td>
                  <span class={`status ${r.status}`}>{r.status.toLowerCase()}</span>
                </td>
                <td>
                  {r.kind === 'rollback' ? `rollback → ${r.endpointName ?? '?'}` : (r.model?.id ?? '—')}
                </td>
                <td>{r.requestedBy ?? '—'}</td>
                <td title={r.startedAt}>{when(r.startedAt)}</td>
                <td>{duration(r.durationMs)}</td>
                <td class="cause" data-testid="row-failure">
                  {r.failure === null ? '' : `${r.failure.step ?? '?'}: ${r.failure.message}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && <p class="muted">No rollouts match.</p>}
        {nextToken !== undefined && (
          <button onClick={() => void more()} data-testid="more">
            Load more
          </button>
        )}
      </section>
    </div>
  );
}
