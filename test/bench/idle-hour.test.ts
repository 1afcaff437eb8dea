import { describe, expect, it } from 'vitest';
import { idleHourOnOneCore, medianByCpu } from '../../bench/apps.js';

describe('the idle hour figure (bench/apps.ts)', () => {
  it('is the run of median CPU, one measured run even of an even count', () => {
    // Arrange
    const runs = [{ cpuMs: 9_100 }, { cpuMs: 12_400 }, { cpuMs: 8_700 }, { cpuMs: 16_200 }];

    // Act
    const odd = medianByCpu(runs.slice(0, 3));
    const even = medianByCpu(runs);

    // Assert
    expect(odd).toBe(runs[0]);
    expect(even).toBe(runs[0]);
    expect(() => medianByCpu([])).toThrow(/expected at least one run, got none/);
  });

  it('refuses a count of runs that is not a positive integer, before starting any process', async () => {
    await expect(idleHourOnOneCore(100, 0)).rejects.toThrow(/expected a positive count of runs, got 0/);
    await expect(idleHourOnOneCore(100, 1.5)).rejects.toThrow(/got 1.5/);
  });
});
