import { describe, expect, it } from 'vitest';
import { type ExecutionView, newStepLines, objectivesLine } from '../../cli/failover.js';

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

describe('objectives line', () => {
  const record = {
    id: 'orders-1',
    app: 'orders',
    status: 'SUCCEEDED',
    to: 'us-west-2',
    rtoSeconds: 130,
    rpoSeconds: 0.8,
  } as unknown as ExecutionView;

  it('says when the RPO is the replication lag last seen before its metric stopped', () => {
    const line = objectivesLine(
      { ...record, rpoLastSeenAt: '2026-01-01T00:01:00.000Z' },
      { rtoSeconds: 300, rpoSeconds: 30 },
    );

    expect(line).toContain(
      'RPO 0.8 s within the 30 s objective (the replication lag last seen, at 2026-01-01T00:01:00.000Z, before its metric stopped)',
    );
  });

  it('says nothing more when the lag read at the promotion was current', () => {
    const line = objectivesLine(record, { rtoSeconds: 300, rpoSeconds: 30 });

    expect(line).toContain('RPO 0.8 s within the 30 s objective;');
    expect(line).not.toContain('last seen');
  });
});
