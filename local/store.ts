import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { CorruptStateError } from './errors';

let tmpCounter = 0;

/**
 * Writes a file so that readers see the old or the new content, never a torn one: write a temp file
 * beside it, then rename over it. A process crash (even SIGKILL) after this returns loses nothing.
 */
export function writeFileAtomic(file: string, content: string | Buffer, mode?: number): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  // The mode is set at creation, so a secret is never readable by others, not even for a moment.
  writeFileSync(tmp, content, mode === undefined ? {} : { mode });
  renameSync(tmp, file);
}

/**
 * One service's state as a JSON document, persisted on every change (when given a file). Services keep
 * their state here and nowhere else, so `reset()` and restarts are trivial and exact.
 */
export class JsonStore<T extends object> {
  private data: T;

  constructor(
    private readonly file: string | null,
    private readonly initial: () => T,
  ) {
    this.data = file !== null && existsSync(file) ? readState<T>(file) : initial();
  }

  /** The current state; mutate it only through `mutate`. */
  get state(): Readonly<T> {
    return this.data;
  }

  /** Applies a change and persists it before returning (so an acknowledged change survives a crash). */
  mutate<R>(change: (data: T) => R): R {
    const result = change(this.data);
    this.persist();
    return result;
  }

  /** Back to the initial state (and deletes the file). */
  reset(): void {
    this.data = this.initial();
    if (this.file !== null) rmSync(this.file, { force: true });
  }

  private persist(): void {
    if (this.file !== null) writeFileAtomic(this.file, JSON.stringify(this.data));
  }
}

/** Parses a state file; a torn or foreign one is named, with the fix, instead of a bare SyntaxError. */
function readState<T>(file: string): T {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('not a JSON object');
    }
    return parsed as T;
  } catch (error) {
    throw new CorruptStateError(file, { cause: error });
  }
}
