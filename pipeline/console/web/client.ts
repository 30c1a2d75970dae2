import type { RolloutDetail } from '../../history';
import type { HealthSeries, RolloutRowsPage, ServiceOverview } from '../api';

declare global {
  interface Window {
    /** The overview's first requests, started by index.html before this script loads. */
    __consoleBoot?: Partial<Record<'services' | 'rollouts', Promise<Response>>>;
  }
}

/** Fetches JSON from the console API, throwing the server's message on errors. */
async function get<T>(path: string, early?: Promise<Response>): Promise<T> {
  const res = await (early ?? fetch(path, { cache: 'no-store' }));
  const body = (await res.json()) as T & { message?: string };
  if (!res.ok) throw new Error(body.message ?? `${res.status} ${res.statusText}`);
  return body;
}

/** The request index.html started for `key`, once (later calls fetch anew). */
function takeEarly(key: 'services' | 'rollouts'): Promise<Response> | undefined {
  const boot = window.__consoleBoot;
  const early = boot?.[key];
  if (boot !== undefined) delete boot[key];
  return early;
}

/** The console API, typed. */
export const api = {
  info: () => get<{ target: string; kind: string; region: string }>('/api/info'),
  services: () => get<ServiceOverview[]>('/api/services', takeEarly('services')),
  rollouts: (q: { service?: string; status?: string; nextToken?: string }) => {
    const params = new URLSearchParams();
    if (q.service !== undefined && q.service !== '') params.set('service', q.service);
    if (q.status !== undefined && q.status !== '') params.set('status', q.status);
    if (q.nextToken !== undefined) params.set('nextToken', q.nextToken);
    const query = params.toString();
    // The early request is for the unfiltered first page only.
    return get<RolloutRowsPage>(`/api/rollouts?${query}`, query === '' ? takeEarly('rollouts') : undefined);
  },
  rollout: (id: string) => get<RolloutDetail>(`/api/rollouts/${encodeURIComponent(id)}`),
  health: (service: string, minutes: number) =>
    get<HealthSeries>(`/api/health/${encodeURIComponent(service)}?minutes=${minutes}`),
};

/** "3.2 s", "850 ms", "4 min 05 s". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

/** "2026-11-22 10:30:05". */
export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const d = new Date(iso);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString()}`;
}

/** "5 min ago". */
export function ago(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
