import { describe, expect, it } from 'vitest';
import { duration } from '../../console/src/format.js';

// The console's durations (outages, RTOs, elapsed times): a new user's trial saw the sandbox page
// say "3 min 07 s from +193 min 60 s", the seconds rounded up to 60 after the minutes were taken.
describe("the console's duration", () => {
  it('rounds to the second before taking the minutes: never 60 s', () => {
    expect(duration(11_639.6)).toBe('194 min 00 s');
    expect(duration(239.5)).toBe('4 min 00 s');
    expect(duration(239.4)).toBe('3 min 59 s');
  });

  it('keeps tenths under two minutes, and a dash for no value', () => {
    expect(duration(119.96)).toBe('120.0 s');
    expect(duration(12.34)).toBe('12.3 s');
    expect(duration(125)).toBe('2 min 05 s');
    expect(duration(null)).toBe('–');
  });
});
