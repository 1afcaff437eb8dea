import { describe, expect, it } from 'vitest';
import { selectCases } from '../../bench/case-filter.js';

// The bench's failover case names (bench/run.ts): two of them hold a comma.
const NAMES = [
  'warm standby with a Stopped warm pool, graceful',
  'warm standby with a Stopped warm pool, ungraceful',
  'warm standby, graceful switchover',
  'warm standby, ungraceful after a region outage',
  'pilot light, graceful switchover',
  'pilot light, ungraceful',
];

describe('the bench --cases filter', () => {
  it('runs every case when empty', () => {
    expect(selectCases(NAMES, '')).toEqual(NAMES);
    expect(selectCases(NAMES, ' , ')).toEqual(NAMES);
  });

  it('runs exactly the two cases asked for by their full names, commas and all', () => {
    // Act
    const selected = selectCases(NAMES, 'warm standby, graceful switchover,pilot light, ungraceful');

    // Assert
    expect(selected).toEqual(['warm standby, graceful switchover', 'pilot light, ungraceful']);
  });

  it('runs the cases whose name contains a word, ignoring case', () => {
    expect(selectCases(NAMES, 'warm pool')).toEqual(NAMES.slice(0, 2));
    expect(selectCases(NAMES, 'Pilot Light,outage')).toEqual([
      'warm standby, ungraceful after a region outage',
      'pilot light, graceful switchover',
      'pilot light, ungraceful',
    ]);
  });

  it('refuses a word that matches no case, saying which and what there is', () => {
    expect(() => selectCases(NAMES, 'pilot light,warm pol')).toThrow(
      /--cases: "warm pol" matches no case; expected full case names or words of them.*"pilot light, ungraceful"/,
    );
  });
});
