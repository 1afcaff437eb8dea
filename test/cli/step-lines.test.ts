import { describe, expect, it } from 'vitest';
import { newStepLines } from '../../cli/failover.js';

describe('step lines', () => {
  it('give the reason of a SKIPPED step, and say so when none was recorded', () => {
    // Prepare
    const at = '2026-01-01T00:00:00.000Z';
    const record = {
      id: 'x',
      app: 'billing',
      status: 'SUCCEEDED',
      startedAt: at,
      steps: {
        'PrepareDatabase#billing-global': {
          name: 'PrepareDatabase',
          resource: 'billing-global',
          status: 'SKIPPED',
          startedAt: at,
          finishedAt: at,
          detail: { reason: 'already has an available instance (i-1): no reader to add' },
        },
        Other: { name: 'Other', status: 'SKIPPED', startedAt: at, finishedAt: at },
      },
    };

    // Act
    const lines = newStepLines(record as unknown as Parameters<typeof newStepLines>[0], new Set());

    // Assess
    expect(lines.find((l) => l.includes('PrepareDatabase') && l.includes('SKIPPED'))).toMatch(
      /SKIPPED {2}0 s {2}\(already has an available instance \(i-1\): no reader to add\)$/,
    );
    expect(lines.find((l) => l.includes('Other') && l.includes('SKIPPED'))).toMatch(
      /\(no reason recorded\)$/,
    );
  });
});
