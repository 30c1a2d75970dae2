import type { LivePointer } from '../shared/types';
import { LivePointerUnavailableError } from './errors';

/** How long a live pointer read from SSM is reused (the fallback path only). */
export const POINTER_TTL_MS = 30_000;
/** How long "nothing deployed" is reused, shorter so a first rollout shows quickly. */
export const EMPTY_POINTER_TTL_MS = 5_000;

/** What the cache needs from the outside world. */
export interface LivePointerCacheDeps {
  /** Reads the service's live pointer (null: nothing deployed). */
  readonly read: () => Promise<LivePointer | null>;
  readonly now: () => number;
  /** Told when SSM failed and an expired value is served instead. */
  readonly onStale?: (error: unknown) => void;
}

interface Entry {
  readonly pointer: LivePointer | null;
  readonly expiresAt: number;
}

/**
 * The live pointer, read from SSM at most once per TTL per container. Used when the proxy's
 * ENDPOINT_NAME is unset (a later `cdk deploy` rewrote its environment). If SSM fails, an expired
 * pointer is still served rather than failing requests that worked a moment ago.
 */
export class LivePointerCache {
  private entry: Entry | undefined;
  private inFlight: Promise<LivePointer | null> | undefined;

  constructor(private readonly deps: LivePointerCacheDeps) {}

  /** The pointer, from the cache while fresh, else from SSM. */
  async get(): Promise<LivePointer | null> {
    const entry = this.entry;
    if (entry !== undefined && entry.expiresAt > this.deps.now()) return entry.pointer;
    this.inFlight ??= this.refresh(entry).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The cached pointer if still fresh, without any call (undefined: unknown). */
  peek(): LivePointer | null | undefined {
    const entry = this.entry;
    return entry !== undefined && entry.expiresAt > this.deps.now() ? entry.pointer : undefined;
  }

  /** Forgets the cached pointer, e.g. after its endpoint turned out not to exist. */
  invalidate(): void {
    this.entry = undefined;
  }

  private async refresh(previous: Entry | undefined): Promise<LivePointer | null> {
    try {
      const pointer = await this.deps.read();
      const ttl = pointer === null ? EMPTY_POINTER_TTL_MS : POINTER_TTL_MS;
      this.entry = { pointer, expiresAt: this.deps.now() + ttl };
      return pointer;
    } catch (error) {
      if (previous !== undefined && previous.pointer !== null) {
        this.deps.onStale?.(error);
        // Retry SSM soon, but not on every request while it fails.
        this.entry = { pointer: previous.pointer, expiresAt: this.deps.now() + EMPTY_POINTER_TTL_MS };
        return previous.pointer;
      }
      throw new LivePointerUnavailableError(
        'The live deployment could not be read from SSM; try again shortly. The error is logged.',
        { cause: error, headers: { 'Retry-After': '5' } },
      );
    }
  }
}
