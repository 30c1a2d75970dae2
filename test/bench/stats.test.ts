import { alternate, median, percentile, ratio, summarize } from '../../bench/stats';

describe('bench stats', () => {
  it('takes the middle sample as the median of an odd count', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('averages the two middle samples as the median of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('gives NaN for the median of no samples', () => {
    expect(median([])).toBeNaN();
  });

  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);

    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7, 3], 0)).toBe(3);
  });

  it('gives the largest sample as p99 when there are fewer than 100', () => {
    expect(percentile([3, 9, 1, 4], 99)).toBe(9);
  });

  it('rejects a percentile outside 0-100', () => {
    expect(() => percentile([1], 101)).toThrow('p must be in [0, 100]');
  });

  it('summarizes with the number of samples', () => {
    expect(summarize([2, 8, 4])).toEqual({ n: 3, median: 4, p99: 8, min: 2, max: 8 });
  });

  it('gives NaN for a ratio to zero', () => {
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(3, 6)).toBe(0.5);
  });

  it('runs variants in alternation and drops the warm-up rounds', async () => {
    const order: string[] = [];
    let tick = 0;
    const variant = (name: 'a' | 'b') => ({
      name,
      run: () => {
        order.push(name);
        tick += 1;
        return Promise.resolve(tick);
      },
    });

    const samples = await alternate([variant('a'), variant('b')], 2, 1);

    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    expect(samples).toEqual({ a: [3, 5], b: [4, 6] });
  });
});
