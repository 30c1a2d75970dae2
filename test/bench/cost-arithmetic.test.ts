import {
  expressBilling,
  expressWorkflowCost,
  lambdaCost,
  pollsUntilInService,
  runsPerMonth,
  standardWorkflowCost,
} from '../../bench/cost-arithmetic';

describe('bench cost arithmetic', () => {
  it('bills Standard workflows $0.025 per 1,000 transitions', () => {
    expect(standardWorkflowCost(1000)).toBeCloseTo(0.025, 12);
    expect(standardWorkflowCost(38)).toBeCloseTo(0.00095, 12);
  });

  it('rounds Express duration up to 100 ms steps, at least 100 ms, and memory up to 64 MB steps', () => {
    expect(expressBilling(1, 10)).toEqual({ billedMs: 100, billedMb: 64 });
    expect(expressBilling(101, 65)).toEqual({ billedMs: 200, billedMb: 128 });
    expect(expressBilling(300, 64)).toEqual({ billedMs: 300, billedMb: 64 });
  });

  it('bills an Express execution one request plus its GB-seconds', () => {
    // 1 request ($1 per million) + 0.0625 GB x 0.2 s x $0.00001667
    expect(expressWorkflowCost(150, 64)).toBeCloseTo(0.000001 + 0.0625 * 0.2 * 0.00001667, 15);
  });

  it('bills Lambda requests and GB-seconds, durations rounded up to the millisecond', () => {
    const cost = lambdaCost([
      { memoryMb: 256, billedMs: 1000 },
      { memoryMb: 1024, billedMs: 499.2 },
    ]);

    expect(cost.requests).toBe(2);
    expect(cost.gbSeconds).toBeCloseTo(0.25 + 0.5, 12);
    expect(cost.usd).toBeCloseTo(2 * 0.0000002 + 0.75 * 0.0000166667, 15);
  });

  it('counts 8,760 runs a month for a 5-minute schedule', () => {
    expect(runsPerMonth(5)).toBe(8760);
  });

  it('rejects a schedule that never fires', () => {
    expect(() => runsPerMonth(0)).toThrow('interval must be positive');
  });

  it('polls once per interval until the endpoint is InService', () => {
    expect(pollsUntilInService(240, 30)).toBe(8);
    expect(pollsUntilInService(250, 30)).toBe(9);
    expect(pollsUntilInService(0, 30)).toBe(1);
  });
});
