import { setTimeout as delay } from 'node:timers/promises';

/**
 * Scaled time. The local cloud stands in for services whose waits are minutes long (endpoint creation,
 * poll intervals), so every emulated duration is multiplied by `timeScale`: 0.01 makes one AWS second
 * 10 ms. Timestamps given to clients stay real wall-clock time, so history shows what really happened.
 */
export class Clock {
  constructor(readonly timeScale: number) {
    if (!(timeScale > 0 && timeScale <= 1)) {
      throw new Error(
        `timeScale must be in (0, 1]; got ${timeScale}. Use e.g. 0.01 for 100x faster than AWS.`,
      );
    }
  }

  /** Real milliseconds that stand for `awsSeconds` of AWS time. */
  scaledMs(awsSeconds: number): number {
    return Math.max(0, Math.round(awsSeconds * 1000 * this.timeScale));
  }

  /** Sleeps for `awsSeconds` of AWS time. */
  async sleep(awsSeconds: number, signal?: AbortSignal): Promise<void> {
    const ms = this.scaledMs(awsSeconds);
    if (ms > 0) await delay(ms, undefined, signal === undefined ? {} : { signal });
  }

  /** Wall-clock now. */
  now(): Date {
    return new Date();
  }
}
