import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

const examples = await loadPlans('plans');

describe('drills on their schedule', () => {
  it("a scheduled drill runs in simulate on its plan's cron, with no request", async () => {
    // orders drills at cron(0 14 ? 1/3 TUE#2 *): 14:00 UTC on the second Tuesday of January, April,
    // July and October. The scenario starts two minutes before the one of January 2026.
    const scenario = parseScenario({ latency: 'realistic', start: '2026-01-13T13:58:00Z', timeout: 3600 });
    const report = await simulate(examples, scenario);
    // at: 0 is the scenario's start, after the sandbox's own setup (a few virtual ms).
    expect(Date.parse(report.start) - Date.parse('2026-01-13T13:58:00Z')).toBeLessThan(1000);
    expect(report.requests).toEqual([]);
    const drill = report.drills.find((d) => d.app === 'orders');
    expect(drill).toBeDefined();
    console.log(JSON.stringify(report.drills, null, 1), report.endedAt);
  });
});
