import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/client.js';
import { approverFlag } from '../../cli/failover.js';
import { UsageError } from '../../cli/io.js';

const API = { api: 'http://127.0.0.1:8080' };

describe('who approves', () => {
  const saved = process.env.SWITCHYARD_TOKEN;
  afterEach(() => {
    if (saved === undefined) delete process.env.SWITCHYARD_TOKEN;
    else process.env.SWITCHYARD_TOKEN = saved;
  });

  it('a command without a default identity refuses until the caller names one', () => {
    delete process.env.SWITCHYARD_TOKEN;
    const none = { none: 'approve needs the approver named' };
    expect(() => ApiClient.create(API, none)).toThrow(UsageError);
    expect(() => ApiClient.create(API, none)).toThrow(/^approve needs the approver named: got no identity/);
    expect(ApiClient.create({ ...API, as: 'bob' }, none).who).toBe('bob');
    expect(ApiClient.create({ ...API, token: 'a.b.c' }, none).who).toBe('the --token identity');
    expect(ApiClient.create({ ...API, auth: 'iam', region: 'us-west-2' }, none).who).toBe(
      'your IAM credentials',
    );
    process.env.SWITCHYARD_TOKEN = 'a.b.c';
    expect(ApiClient.create(API, none).who).toBe('the SWITCHYARD_TOKEN identity');
  });

  it('the printed approve command names an approver the way the caller is identified', () => {
    delete process.env.SWITCHYARD_TOKEN;
    expect(approverFlag(ApiClient.create(API, 'alice'))).toBe(' --as bob');
    expect(approverFlag(ApiClient.create({ ...API, token: 'a.b.c' }, 'alice'))).toBe(
      " --token <an approver's JWT>",
    );
    expect(approverFlag(ApiClient.create({ ...API, auth: 'iam', region: 'us-west-2' }, 'alice'))).toBe(
      ' --auth iam --region us-west-2',
    );
  });
});
