import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where functions' log lines go, as CloudWatch Logs receives them from Lambda: every line is appended
 * to `<dataDir>/logs/<function>.log` (when persistent), and stdout lines are handed to CloudWatch's
 * ingestion (the data plane reads Embedded Metric Format lines from them).
 */
export class FunctionLogs {
  constructor(
    private readonly dir: string | null,
    private readonly ingest: (functionName: string, line: string) => void,
  ) {
    if (dir !== null) mkdirSync(dir, { recursive: true });
  }

  /** Records one line a function's environment wrote (or the platform wrote for it). */
  write(functionName: string, line: string, stream: 'stdout' | 'stderr'): void {
    // Synchronous appends keep lines in order and on disk before the invocation is answered.
    if (this.dir !== null) appendFileSync(join(this.dir, `${functionName}.log`), `${line}\n`);
    if (stream === 'stdout') {
      try {
        this.ingest(functionName, line);
      } catch (error) {
        // A metrics parser failure must not fail the function that logged.
        console.error(`[local] log ingestion failed for ${functionName}: ${(error as Error).message}`);
      }
    }
  }

  /** The file a function's lines go to (null in memory). */
  fileOf(functionName: string): string | null {
    return this.dir === null ? null : join(this.dir, `${functionName}.log`);
  }
}
