import {
  SMOKE_RESULT_LIMITS,
  addTiming,
  boundSmokeResult,
  clipJson,
} from '../../../lambdas/shared/state-bounds';
import type { SmokeResult } from '../../../lambdas/shared/types';

function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8');
}

describe('addTiming', () => {
  it('keeps one entry per step, summing durations and counting runs from the first start', () => {
    let timings = addTiming([], 'Validate Spec', '2026-01-01T00:00:00.000Z', 5);
    for (let i = 0; i < 2160; i++) {
      timings = addTiming(
        timings,
        'Check Endpoint',
        `2026-01-01T00:${String(i % 60).padStart(2, '0')}:00.000Z`,
        2,
      );
    }

    expect(timings).toEqual([
      { step: 'Validate Spec', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 5, runs: 1 },
      { step: 'Check Endpoint', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 4320, runs: 2160 },
    ]);
  });

  it('counts an entry without runs (as Validate Spec writes it) as one run', () => {
    const timings = addTiming(
      [{ step: 'Validate Spec', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 5 }],
      'Validate Spec',
      '2026-01-01T00:01:00.000Z',
      7,
    );

    expect(timings).toEqual([
      { step: 'Validate Spec', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 12, runs: 2 },
    ]);
  });
});

describe('clipJson', () => {
  it('leaves a text that fits alone', () => {
    expect(clipJson('hello', 7)).toBe('hello');
  });

  it('cuts a text to the bytes it takes as JSON, counting escapes and multi-byte characters', () => {
    for (const ch of ['x', 'é', '😀', '\u0001', '"']) {
      const clipped = clipJson(ch.repeat(1000), 100);

      expect(jsonBytes(clipped)).toBeLessThanOrEqual(100);
      expect(jsonBytes(clipped)).toBeGreaterThan(100 - 12);
      expect(clipped.endsWith('…')).toBe(true);
    }
  });
});

describe('boundSmokeResult', () => {
  it('keeps the fields and clips preview, failure lines and headers to their budgets', () => {
    const result: SmokeResult = {
      name: 'positive',
      passed: false,
      status: 500,
      latencyMs: 12,
      failures: Array.from({ length: 40 }, (_, i) => `${i}: ${'\u0001'.repeat(400)}`),
      responsePreview: '\u0001'.repeat(512),
      contentType: `text/plain; x=${'é'.repeat(500)}`,
      servedBy: 'e'.repeat(500),
    };

    const bounded = boundSmokeResult(result);

    expect(Object.keys(bounded).sort()).toEqual(Object.keys(result).sort());
    expect(bounded.failures).toHaveLength(SMOKE_RESULT_LIMITS.failureLines + 1);
    expect(bounded.failures.at(-1)).toBe('(+37 more failures)');
    expect(bounded.failures[0]?.startsWith('0: ')).toBe(true);
    for (const line of bounded.failures) {
      expect(jsonBytes(line)).toBeLessThanOrEqual(SMOKE_RESULT_LIMITS.failureLineBytes);
    }
    expect(jsonBytes(bounded.responsePreview)).toBeLessThanOrEqual(SMOKE_RESULT_LIMITS.previewBytes);
    expect(jsonBytes(bounded.contentType ?? '')).toBeLessThanOrEqual(SMOKE_RESULT_LIMITS.headerBytes);
    expect(jsonBytes(bounded.servedBy ?? '')).toBeLessThanOrEqual(SMOKE_RESULT_LIMITS.headerBytes);
    expect({ ...bounded, failures: [], responsePreview: '', contentType: '', servedBy: '' }).toEqual({
      ...result,
      failures: [],
      responsePreview: '',
      contentType: '',
      servedBy: '',
    });
  });

  it('changes nothing in a result within its budgets', () => {
    const result: SmokeResult = {
      name: 'ok',
      passed: true,
      status: 200,
      latencyMs: 3,
      failures: [],
      responsePreview: '[{"label":"POSITIVE","score":0.99}]',
      contentType: 'application/json',
      servedBy: 'sentiment-distilbert-20260101-000000-abcd',
    };

    expect(boundSmokeResult(result)).toEqual(result);
  });
});
