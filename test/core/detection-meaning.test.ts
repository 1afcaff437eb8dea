import { describe, expect, it } from 'vitest';
import { detectionMeaning } from '../../functions/core/plan-queries.js';

// `switchyard status` and the console said "detection: approval": a new user's trial could not
// tell from it what an alarm does. Each mode is said in words beside its name.
describe('detectionMeaning', () => {
  it('says what each detection mode does once its alarms hold', () => {
    expect(detectionMeaning('automatic')).toBe('an alarm starts an ungraceful failover by itself');
    expect(detectionMeaning('approval')).toBe('an alarm starts a failover that waits for an approver');
    expect(detectionMeaning('notify')).toBe('an alarm only notifies: nothing fails over');
  });

  it('gives back a mode it does not know as it is', () => {
    expect(detectionMeaning('something-new')).toBe('something-new');
  });
});
