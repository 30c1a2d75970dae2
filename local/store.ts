import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

let tmpCounter = 0;

/**
 * Writes a file so that readers see the old or the new content, never a torn one: write a temp file
 * beside it, then rename over it. A process crash (even SIGKILL) after this returns loses nothing.
 */
export function writeFileAtomic(file: string, content: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  writeFileSync(tmp, content);
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
    this.data = file !== null && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : initial();
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
