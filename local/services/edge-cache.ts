import type { ApiResponse } from './edge-proxy-event';

/** One cached answer. */
export interface CachedResponse {
  readonly response: ApiResponse;
  /** Epoch ms when it was stored (for the `age` header). */
  readonly storedAt: number;
}

interface Entry extends CachedResponse {
  readonly service: string;
  readonly path: string;
  readonly expiresAt: number;
}

/** The cache policy of the cached behaviours: TTL bounds in real seconds. */
export interface CachePolicy {
  /** @default 0 */
  readonly minTtlSeconds?: number;
  /** TTL when the origin sends no Cache-Control max-age. @default 5 */
  readonly defaultTtlSeconds?: number;
  /** @default 5 */
  readonly maxTtlSeconds?: number;
}

/**
 * CloudFront's cache for the behaviours that cache (GET/HEAD on the cached paths), per service. The
 * TTL follows CloudFront's rules with a cache policy: the origin's `Cache-Control: s-maxage / max-age`
 * clamped to [min, max], `no-store` / `no-cache` / `private` not cached (min TTL 0), otherwise the
 * default TTL. Only 200 answers are stored. Invalidations remove entries by path (`*` at the end
 * matches any suffix).
 */
export class EdgeCache {
  private readonly entries = new Map<string, Entry>();
  private readonly minTtl: number;
  private readonly defaultTtl: number;
  private readonly maxTtl: number;

  constructor(policy: CachePolicy = {}) {
    this.minTtl = policy.minTtlSeconds ?? 0;
    this.defaultTtl = policy.defaultTtlSeconds ?? 5;
    this.maxTtl = policy.maxTtlSeconds ?? 5;
  }

  /** A fresh cached answer, or undefined. */
  get(key: string, now = Date.now()): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Stores an answer if its status and Cache-Control allow; returns whether it did. */
  put(key: string, service: string, path: string, response: ApiResponse, now = Date.now()): boolean {
    if (response.status !== 200) return false;
    const ttl = this.ttlSeconds(response.headers['cache-control']?.join(',') ?? '');
    if (ttl <= 0) return false;
    this.entries.set(key, { response, storedAt: now, expiresAt: now + ttl * 1000, service, path });
    return true;
  }

  /** Removes a service's entries matching CloudFront invalidation paths; returns how many. */
  invalidate(service: string, paths: readonly string[]): number {
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (entry.service !== service) continue;
      if (paths.some((p) => matches(p, entry.path))) {
        this.entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Entries per service, for the inventory. */
  size(service?: string): number {
    return [...this.entries.values()].filter((e) => service === undefined || e.service === service).length;
  }

  /** Empties the cache. */
  clear(): void {
    this.entries.clear();
  }

  private ttlSeconds(cacheControl: string): number {
    const directives = cacheControl.toLowerCase();
    if (/\b(no-store|no-cache|private)\b/.test(directives) && this.minTtl === 0) return 0;
    const maxAge = /\bs-maxage=(\d+)/.exec(directives)?.[1] ?? /\bmax-age=(\d+)/.exec(directives)?.[1];
    if (maxAge === undefined) return this.defaultTtl;
    return Math.min(this.maxTtl, Math.max(this.minTtl, Number(maxAge)));
  }
}

/** CloudFront invalidation path matching: exact, or a prefix when the path ends with `*`. */
function matches(pattern: string, path: string): boolean {
  const withSlash = pattern.startsWith('/') ? pattern : `/${pattern}`;
  const bare = withSlash.split('?')[0] ?? withSlash;
  return bare.endsWith('*') ? path.startsWith(bare.slice(0, -1)) : path === bare;
}
