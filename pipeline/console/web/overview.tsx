import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RolloutRow, ServiceOverview } from '../api';
import { ago, api, duration, when } from './client';
import { HealthChart } from './health-chart';

/** Poll intervals: quick while a rollout runs (its row changes every step), slower otherwise. */
const POLL_RUNNING_MS = 1000;
const POLL_IDLE_MS = 4000;

/** Performance mark set once the history table first shows its rows (read by bench/console-load.ts). */
export const HISTORY_RENDERED_MARK = 'console:history-rendered';

/** Health chart windows, in minutes. */
const WINDOWS = [5, 15, 60, 24 * 60];

/** What is live per service, its health, and the rollout history with filters and paging. */
export function Overview() {
  const [services, setServices] = useState<ServiceOverview[] | null>(null);
  const [rows, setRows] = useState<RolloutRow[] | null>(null);
  const [nextToken, setNextToken] = useState<string | undefined>(undefined);
  const [service, setService] = useState('');
  const [status, setStatus] = useState('');
  const [minutes, setMinutes] = useState(60);
  const [error, setError] = useState<string | null>(null);
  // Rows loaded with "Load more": kept under the refreshed first page until a filter changes.
  const extra = useRef<RolloutRow[]>([]);
  const loadedMore = useRef(false);

  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    extra.current = [];
    loadedMore.current = false;
    setRows(null);
    setNextToken(undefined);
    const load = async () => {
      let running = false;
      // Both at once, each shown when it arrives: the history does not wait for the service cards.
      const cards = api
        .services()
        .then((svc) => alive && setServices(svc))
        .catch((e: Error) => alive && setError(e.message));
      try {
        const page = await api.rollouts({ service, status });
        if (!alive) return;
        running = page.rollouts.some((r) => r.status === 'RUNNING');
        setRows(merge(page.rollouts, extra.current));
        if (!loadedMore.current) setNextToken(page.nextToken);
        setError(null);
      } catch (e) {
        if (alive) setError((e as Error).message);
      }
      await cards;
      if (alive) timer = setTimeout(() => void load(), running ? POLL_RUNNING_MS : POLL_IDLE_MS);
    };
    void load();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [service, status]);

  const marked = useRef(false);
  useLayoutEffect(() => {
    if (rows === null || marked.current) return;
    marked.current = true;
    performance.mark(HISTORY_RENDERED_MARK);
  }, [rows]);

  const more = async () => {
    if (nextToken === undefined) return;
    try {
      const page = await api.rollouts({ service, status, nextToken });
      loadedMore.current = true;
      extra.current = merge(extra.current, page.rollouts);
      setRows((old) => merge(old ?? [], page.rollouts));
      setNextToken(page.nextToken);
    } catch (e) {
      setError((e as Error).message);
    }
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
              <ServiceCard s={s} minutes={minutes} key={s.service} />
            ))}
          </div>
        )}
        <p class="muted small">
          Health window:{' '}
          {WINDOWS.map((m) => (
            <button
              class={m === minutes ? 'chip on' : 'chip'}
              onClick={() => setMinutes(m)}
              key={m}
              data-testid={`window-${m}`}
            >
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
              onChange={(e) => setService((e.target as HTMLSelectElement).value)}
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
              onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}
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
        <table class="history" data-testid="history">
          <thead>
            <tr>
              <th>rollout</th>
              <th>status</th>
              <th>model</th>
              <th>by</th>
              <th>started</th>
              <th>took</th>
              <th>smoke</th>
              <th>outcome</th>
              <th>failed at: cause</th>
            </tr>
          </thead>
          <tbody>
            {(rows ?? []).map((r) => (
              <HistoryRow r={r} key={r.rolloutId} />
            ))}
          </tbody>
        </table>
        {rows === null && <p class="muted">Loading…</p>}
        {rows !== null && rows.length === 0 && <p class="muted">No rollouts match.</p>}
        {nextToken !== undefined && (
          <button onClick={() => void more()} data-testid="more">
            Load more
          </button>
        )}
      </section>
    </div>
  );
}

function ServiceCard({ s, minutes }: { s: ServiceOverview; minutes: number }) {
  const h = s.health;
  return (
    <div class="card" data-testid={`live-${s.service}`}>
      <h3>
        {s.service}{' '}
        {s.alarm !== null && (
          <span
            class={`status alarm ${s.alarm.state}`}
            title={s.alarm.reason}
            data-testid="live-alarm"
            data-state={s.alarm.state}
          >
            alarm {s.alarm.state.toLowerCase().replace('_', ' ')}
          </span>
        )}
      </h3>
      {s.findings.length > 0 && (
        <ul class="small bad" data-testid="live-findings">
          {s.findings.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
      {s.live === null ? (
        s.servedEndpoint === null ? (
          <p class="muted">Nothing deployed yet.</p>
        ) : (
          <p data-testid="live-endpoint" data-rollout="">
            serves {s.servedEndpoint} <span class="muted">(no record describes it)</span>
          </p>
        )
      ) : (
        <dl>
          <dt>model</dt>
          <dd data-testid="live-model">
            {s.live.modelId}@{s.live.modelRevision} <span class="muted">({s.live.task})</span>
          </dd>
          <dt>endpoint</dt>
          <dd data-testid="live-endpoint" data-rollout={s.live.rolloutId}>
            <a href={`#/rollouts/${s.live.rolloutId}`}>{s.live.endpointName}</a>
          </dd>
          <dt>since</dt>
          <dd title={s.live.since} data-testid="live-since">
            {when(s.live.since)} ({ago(s.live.since)})
          </dd>
          <dt>kept</dt>
          <dd>{s.previous.length === 0 ? '—' : s.previous.map((p) => p.endpointName).join(', ')}</dd>
          <dt>health</dt>
          <dd data-testid="live-health" data-result={h?.lastResult ?? 'none'}>
            {h?.lastResult == null ? (
              <span class="muted">not checked yet</span>
            ) : (
              <span class={h.lastResult === 'healthy' ? 'ok' : 'bad'}>
                {h.lastResult}
                {h.lastLatencyMs === null ? '' : `, ${Math.round(h.lastLatencyMs)} ms`}, {ago(h.lastCheckAt)}
                {h.consecutiveFailures > 0 ? `, ${h.consecutiveFailures} failure(s) in a row` : ''}
                {h.lastServedBy != null && h.lastServedBy !== h.lastEndpoint
                  ? ` (answered by ${h.lastServedBy})`
                  : ''}
              </span>
            )}
          </dd>
          {h?.lastAutoRollback !== undefined && (
            <>
              <dt>auto-rollback</dt>
              <dd class="small">
                <a href={`#/rollouts/${h.lastAutoRollback.executionName}`}>
                  {h.lastAutoRollback.fromEndpoint} → {h.lastAutoRollback.toEndpoint}
                </a>{' '}
                {ago(h.lastAutoRollback.startedAt)}
              </dd>
            </>
          )}
        </dl>
      )}
      {s.live !== null && <HealthChart service={s.service} minutes={minutes} />}
    </div>
  );
}

function HistoryRow({ r }: { r: RolloutRow }) {
  return (
    <tr
      data-testid="rollout-row"
      data-rollout={r.rolloutId}
      data-status={r.status}
      data-kind={r.kind}
      data-live={r.live ? 'true' : 'false'}
    >
      <td>
        <a href={`#/rollouts/${r.rolloutId}`}>{r.rolloutId}</a>
      </td>
      <td>
        <span class={`status ${r.status}`} data-testid="row-status">
          {r.status.toLowerCase()}
        </span>
      </td>
      <td data-testid="row-model">
        {r.kind === 'rollback'
          ? `rollback → ${r.endpointName ?? '?'}`
          : r.model === null
            ? '—'
            : `${r.model.id}@${r.model.revision}`}
      </td>
      <td data-testid="row-by">{r.requestedBy ?? '—'}</td>
      <td title={r.startedAt}>{when(r.startedAt)}</td>
      <td>
        {r.finishedAt === null
          ? `${duration(Date.now() - Date.parse(r.startedAt))}…`
          : duration(r.durationMs)}
      </td>
      <td>{r.smoke === null ? '' : `${r.smoke.passed}/${r.smoke.total}`}</td>
      <td data-testid="row-outcome" class={r.live ? 'ok' : ''}>
        {r.outcome ?? ''}
      </td>
      <td class="cause" data-testid="row-failure" data-step={r.failure?.step ?? ''}>
        {r.failure !== null && (
          <div class="clamp" title={r.failure.message}>
            <strong>{r.failure.step ?? '?'}</strong>: {r.failure.message}
          </div>
        )}
      </td>
    </tr>
  );
}

/** `first` then the rows of `rest` not in it (a refreshed page and the rows loaded after it). */
function merge(first: readonly RolloutRow[], rest: readonly RolloutRow[]): RolloutRow[] {
  const seen = new Set(first.map((r) => r.rolloutId));
  return [...first, ...rest.filter((r) => !seen.has(r.rolloutId))];
}
