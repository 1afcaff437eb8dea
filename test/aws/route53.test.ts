import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHealthCheckStatusCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHealthCheck,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  type ResourceRecordSet,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/aws/clients.js';
import {
  addSize,
  type FailoverRecordSpec,
  route53Records,
  withinRequestMaximums,
} from '../../functions/aws/route53.js';

const route53 = mockClient(Route53Client);

afterEach(() => {
  route53.reset();
});

const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' };
const ZONE = 'Z0123456789ABCDEFGHIJ';

const API: FailoverRecordSpec = {
  name: 'api.orders.example.com',
  type: 'A',
  targets: {
    'us-east-1': { dnsName: 'orders-use1.elb.amazonaws.com', hostedZoneId: 'Z35SXDOTRQ7X7K' },
    'us-west-2': { dnsName: 'orders-usw2.elb.amazonaws.com', hostedZoneId: 'Z1H1FL5HABSF5' },
  },
};

function setup() {
  const clients = createAwsClients({ credentials: CREDENTIALS });
  return { clients, records: route53Records(clients) };
}

async function regionOf(call: unknown): Promise<string> {
  return (call as { thisValue: Route53Client }).thisValue.config.region();
}

/** A failover record as Route 53 lists it: trailing dots, DNS names as AWS returns them. */
function listed(
  region: string,
  failover: 'PRIMARY' | 'SECONDARY',
  healthCheckId?: string,
  name = 'api.orders.example.com.',
): ResourceRecordSet {
  const target = API.targets[region] ?? {
    dnsName: `orders-${region}.elb.amazonaws.com`,
    hostedZoneId: 'ZOTHER',
  };
  return {
    Name: name,
    Type: 'A',
    SetIdentifier: region,
    Failover: failover,
    AliasTarget: {
      DNSName: `${target.dnsName}.`,
      HostedZoneId: target.hostedZoneId,
      EvaluateTargetHealth: true,
    },
    ...(healthCheckId ? { HealthCheckId: healthCheckId } : {}),
  };
}

describe('listFailoverRecords', () => {
  it('lists the failover records of one name and type, across pages, in us-east-1', async () => {
    // Prepare
    const { records } = setup();
    route53
      .on(ListResourceRecordSetsCommand, { StartRecordIdentifier: undefined })
      .resolves({
        ResourceRecordSets: [
          { Name: 'api.orders.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }] },
          listed('us-east-1', 'PRIMARY', 'hc-use1'),
        ],
        IsTruncated: true,
        NextRecordName: 'api.orders.example.com.',
        NextRecordType: 'A',
        NextRecordIdentifier: 'us-west-2',
        MaxItems: 2,
      })
      .on(ListResourceRecordSetsCommand, { StartRecordIdentifier: 'us-west-2' })
      .resolves({
        ResourceRecordSets: [
          listed('us-west-2', 'SECONDARY'),
          { Name: 'api.orders.example.com.', Type: 'AAAA' },
        ],
        IsTruncated: true,
        NextRecordName: 'www.orders.example.com.',
        NextRecordType: 'A',
        MaxItems: 2,
      });

    // Act
    const found = await records.listFailoverRecords(ZONE, 'api.orders.example.com', 'A');

    // Assess
    expect(found).toEqual([
      {
        name: 'api.orders.example.com.',
        type: 'A',
        setIdentifier: 'us-east-1',
        failover: 'PRIMARY',
        aliasTarget: {
          dnsName: 'orders-use1.elb.amazonaws.com.',
          hostedZoneId: 'Z35SXDOTRQ7X7K',
          evaluateTargetHealth: true,
        },
        healthCheckId: 'hc-use1',
      },
      {
        name: 'api.orders.example.com.',
        type: 'A',
        setIdentifier: 'us-west-2',
        failover: 'SECONDARY',
        aliasTarget: {
          dnsName: 'orders-usw2.elb.amazonaws.com.',
          hostedZoneId: 'Z1H1FL5HABSF5',
          evaluateTargetHealth: true,
        },
      },
    ]);
    const calls = route53.commandCalls(ListResourceRecordSetsCommand);
    // The second page ends the name and type: no third call.
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { HostedZoneId: ZONE, StartRecordName: 'api.orders.example.com', StartRecordType: 'A' },
      {
        HostedZoneId: ZONE,
        StartRecordName: 'api.orders.example.com.',
        StartRecordType: 'A',
        StartRecordIdentifier: 'us-west-2',
      },
    ]);
    expect(await regionOf(calls[0])).toBe('us-east-1');
  });

  it('translates NoSuchHostedZone to ResourceNotFoundError', async () => {
    const { records } = setup();
    const fault = new NoSuchHostedZone({ message: 'No hosted zone found', $metadata: {} });
    route53.on(ListResourceRecordSetsCommand).rejects(fault);

    await expect(records.listFailoverRecords(ZONE, 'api.orders.example.com', 'A')).rejects.toMatchObject({
      name: 'ResourceNotFoundError',
      cause: fault,
      message: expect.stringContaining('in us-east-1'),
    });
  });
});

describe('setPrimary', () => {
  it('swaps PRIMARY and SECONDARY in one batch of exactly two UPSERTs, keeping set identifiers and health checks', async () => {
    // Prepare
    const { records, clients } = setup();
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        listed('us-east-1', 'PRIMARY', 'hc-use1'),
        listed('us-west-2', 'SECONDARY', 'hc-usw2'),
      ],
      IsTruncated: false,
    });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date(0) },
    });

    // Act
    const changeId = await records.setPrimary(ZONE, [API], 'us-west-2', 'us-east-1');

    // Assess
    expect(changeId).toBe('/change/C1');
    const calls = route53.commandCalls(ChangeResourceRecordSetsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.thisValue).toBe(clients.route53());
    expect(await regionOf(calls[0])).toBe('us-east-1');
    const input = calls[0]?.args[0].input;
    expect(input?.HostedZoneId).toBe(ZONE);
    expect(input?.ChangeBatch?.Changes).toEqual([
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'api.orders.example.com',
          Type: 'A',
          SetIdentifier: 'us-west-2',
          Failover: 'PRIMARY',
          AliasTarget: {
            DNSName: 'orders-usw2.elb.amazonaws.com',
            HostedZoneId: 'Z1H1FL5HABSF5',
            EvaluateTargetHealth: true,
          },
          HealthCheckId: 'hc-usw2',
        },
      },
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'api.orders.example.com',
          Type: 'A',
          SetIdentifier: 'us-east-1',
          Failover: 'SECONDARY',
          AliasTarget: {
            DNSName: 'orders-use1.elb.amazonaws.com',
            HostedZoneId: 'Z35SXDOTRQ7X7K',
            EvaluateTargetHealth: true,
          },
          HealthCheckId: 'hc-use1',
        },
      },
    ]);
  });

  it('changes nothing and returns undefined when the records are already so', async () => {
    const { records } = setup();
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        listed('us-east-1', 'SECONDARY', 'hc-use1'),
        listed('us-west-2', 'PRIMARY', 'hc-usw2'),
      ],
      IsTruncated: false,
    });

    const changeId = await records.setPrimary(ZONE, [API], 'us-west-2', 'us-east-1');

    expect(changeId).toBeUndefined();
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('creates missing records with the plan health checks', async () => {
    const { records } = setup();
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C2', Status: 'PENDING', SubmittedAt: new Date(0) },
    });
    const spec: FailoverRecordSpec = {
      ...API,
      targets: {
        'us-east-1': {
          ...(API.targets['us-east-1'] as FailoverRecordSpec['targets'][string]),
          healthCheckId: 'hc-a',
        },
        'us-west-2': API.targets['us-west-2'] as FailoverRecordSpec['targets'][string],
      },
    };

    await records.setPrimary(ZONE, [spec], 'us-east-1', 'us-west-2');

    const changes = route53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input.ChangeBatch
      ?.Changes;
    expect(
      changes?.map((c) => [c.Action, c.ResourceRecordSet?.SetIdentifier, c.ResourceRecordSet?.Failover]),
    ).toEqual([
      ['UPSERT', 'us-east-1', 'PRIMARY'],
      ['UPSERT', 'us-west-2', 'SECONDARY'],
    ]);
    expect(changes?.[0]?.ResourceRecordSet?.HealthCheckId).toBe('hc-a');
    expect(changes?.[1]?.ResourceRecordSet).not.toHaveProperty('HealthCheckId');
  });

  it('puts every record in one batch, and deletes a third plan region record exactly as listed', async () => {
    const { records } = setup();
    const three: FailoverRecordSpec = {
      ...API,
      targets: {
        ...API.targets,
        'eu-west-1': { dnsName: 'orders-euw1.elb.amazonaws.com', hostedZoneId: 'Z32O12XQLNTSW2' },
      },
    };
    const www: FailoverRecordSpec = { ...API, name: 'www.orders.example.com' };
    const euw1 = listed('eu-west-1', 'SECONDARY', 'hc-euw1');
    route53
      .on(ListResourceRecordSetsCommand, { StartRecordName: 'api.orders.example.com' })
      .resolves({ ResourceRecordSets: [listed('us-east-1', 'PRIMARY'), euw1], IsTruncated: false })
      .on(ListResourceRecordSetsCommand, { StartRecordName: 'www.orders.example.com' })
      .resolves({
        ResourceRecordSets: [
          listed('us-east-1', 'PRIMARY', undefined, 'www.orders.example.com.'),
          listed('us-west-2', 'SECONDARY', undefined, 'www.orders.example.com.'),
        ],
        IsTruncated: false,
      });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C3', Status: 'PENDING', SubmittedAt: new Date(0) },
    });

    await records.setPrimary(ZONE, [three, www], 'us-west-2', 'us-east-1');

    const calls = route53.commandCalls(ChangeResourceRecordSetsCommand);
    expect(calls).toHaveLength(1);
    const changes = calls[0]?.args[0].input.ChangeBatch?.Changes ?? [];
    expect(
      changes.map((c) => [c.Action, c.ResourceRecordSet?.Name, c.ResourceRecordSet?.SetIdentifier]),
    ).toEqual([
      ['UPSERT', 'api.orders.example.com', 'us-west-2'],
      ['UPSERT', 'api.orders.example.com', 'us-east-1'],
      ['DELETE', 'api.orders.example.com.', 'eu-west-1'],
      ['UPSERT', 'www.orders.example.com', 'us-west-2'],
      ['UPSERT', 'www.orders.example.com', 'us-east-1'],
    ]);
    expect(changes[2]?.ResourceRecordSet).toEqual(euw1);
  });

  it('refuses records whose set identifier is not one of the plan regions, changing nothing', async () => {
    const { records } = setup();
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [{ ...listed('us-east-1', 'PRIMARY'), SetIdentifier: 'primary' }],
      IsTruncated: false,
    });

    await expect(records.setPrimary(ZONE, [API], 'us-west-2', 'us-east-1')).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      message: expect.stringContaining('got set identifier(s) primary'),
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('refuses a region without a target', async () => {
    const { records } = setup();
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false });

    await expect(records.setPrimary(ZONE, [API], 'eu-west-1', 'us-east-1')).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it.each([
    [
      'InvalidChangeBatch',
      new InvalidChangeBatch({
        message: 'Invalid change batch',
        messages: ['RRSet with DNS name api.orders.example.com. is not permitted'],
        $metadata: {},
      }),
      'TrafficShiftRejectedError',
    ],
    [
      'PriorRequestNotComplete',
      new PriorRequestNotComplete({ message: 'still applying', $metadata: {} }),
      'ThrottledError',
    ],
    [
      'NoSuchHostedZone',
      new NoSuchHostedZone({ message: 'no zone', $metadata: {} }),
      'ResourceNotFoundError',
    ],
    [
      'NoSuchHealthCheck',
      new NoSuchHealthCheck({ message: 'no check', $metadata: {} }),
      'ResourceNotFoundError',
    ],
    [
      'a timeout',
      Object.assign(new Error('connect ETIMEDOUT route53.amazonaws.com:443'), {
        name: 'TimeoutError',
        code: 'ETIMEDOUT',
      }),
      'RegionUnavailableError',
    ],
  ])('translates %s from ChangeResourceRecordSets to %s', async (_code, error, name) => {
    const { records } = setup();
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [listed('us-east-1', 'PRIMARY'), listed('us-west-2', 'SECONDARY')],
      IsTruncated: false,
    });
    route53.on(ChangeResourceRecordSetsCommand).rejects(error);

    const failure = records.setPrimary(ZONE, [API], 'us-west-2', 'us-east-1');

    await expect(failure).rejects.toMatchObject({ name, cause: error });
    await expect(failure).rejects.toThrow(
      /ChangeResourceRecordSets Z0123456789ABCDEFGHIJ primary us-west-2 in us-east-1/,
    );
  });

  it('says why Route 53 rejected a batch', async () => {
    const { records } = setup();
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false });
    route53
      .on(ChangeResourceRecordSetsCommand)
      .rejects(
        new InvalidChangeBatch({ message: 'Invalid', messages: ['two PRIMARY records'], $metadata: {} }),
      );

    await expect(records.setPrimary(ZONE, [API], 'us-west-2', 'us-east-1')).rejects.toThrow(
      'Route 53 rejected the change batch: two PRIMARY records',
    );
  });

  it('rethrows an unknown error unchanged', async () => {
    const { records } = setup();
    const denied = new Route53ServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: 'not authorized',
      $metadata: { httpStatusCode: 403 },
    });
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false });
    route53.on(ChangeResourceRecordSetsCommand).rejects(denied);

    await expect(records.setPrimary(ZONE, [API], 'us-west-2', 'us-east-1')).rejects.toBe(denied);
  });
});

describe('setPrimary with swapFirst', () => {
  it('makes one ChangeResourceRecordSets without reading: each record deleted exactly as Switchyard writes it, then created swapped', async () => {
    const { records } = setup();
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C9', Status: 'PENDING', SubmittedAt: new Date(0) },
    });

    const changeId = await records.setPrimary(ZONE, [API], 'us-west-2', 'us-east-1', { swapFirst: true });

    expect(changeId).toBe('/change/C9');
    expect(route53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(0);
    const calls = route53.commandCalls(ChangeResourceRecordSetsCommand);
    expect(calls).toHaveLength(1);
    const record = (region: string, failover: string, dnsName: string, zone: string) => ({
      Name: 'api.orders.example.com',
      Type: 'A',
      SetIdentifier: region,
      Failover: failover,
      AliasTarget: { DNSName: dnsName, HostedZoneId: zone, EvaluateTargetHealth: true },
    });
    expect(calls[0]?.args[0].input.ChangeBatch?.Changes).toEqual([
      {
        Action: 'DELETE',
        ResourceRecordSet: record('us-east-1', 'PRIMARY', 'orders-use1.elb.amazonaws.com', 'Z35SXDOTRQ7X7K'),
      },
      {
        Action: 'DELETE',
        ResourceRecordSet: record('us-west-2', 'SECONDARY', 'orders-usw2.elb.amazonaws.com', 'Z1H1FL5HABSF5'),
      },
      {
        Action: 'CREATE',
        ResourceRecordSet: record('us-west-2', 'PRIMARY', 'orders-usw2.elb.amazonaws.com', 'Z1H1FL5HABSF5'),
      },
      {
        Action: 'CREATE',
        ResourceRecordSet: record(
          'us-east-1',
          'SECONDARY',
          'orders-use1.elb.amazonaws.com',
          'Z35SXDOTRQ7X7K',
        ),
      },
    ]);
  });

  it('when Route 53 refuses the swap (a record differs), reads the records and changes them as they stand', async () => {
    const { records } = setup();
    route53
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(
        new InvalidChangeBatch({
          message: 'Invalid',
          messages: ['the values provided do not match the current values'],
          $metadata: {},
        }),
      )
      .resolves({ ChangeInfo: { Id: '/change/C10', Status: 'PENDING', SubmittedAt: new Date(0) } });
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [listed('us-east-1', 'PRIMARY'), listed('us-west-2', 'SECONDARY', 'hc-by-hand')],
      IsTruncated: false,
    });

    const changeId = await records.setPrimary(ZONE, [API], 'us-west-2', 'us-east-1', { swapFirst: true });

    expect(changeId).toBe('/change/C10');
    const calls = route53.commandCalls(ChangeResourceRecordSetsCommand);
    expect(calls).toHaveLength(2);
    expect(
      calls[1]?.args[0].input.ChangeBatch?.Changes?.map((c) => [
        c.Action,
        c.ResourceRecordSet?.SetIdentifier,
        c.ResourceRecordSet?.Failover,
        c.ResourceRecordSet?.HealthCheckId,
      ]),
    ).toEqual([
      ['UPSERT', 'us-west-2', 'PRIMARY', 'hc-by-hand'],
      ['UPSERT', 'us-east-1', 'SECONDARY', undefined],
    ]);
  });

  it('passes on any other refusal of the swap as before (a zone still applying a change is retried later)', async () => {
    const { records } = setup();
    route53
      .on(ChangeResourceRecordSetsCommand)
      .rejects(new PriorRequestNotComplete({ message: 'still applying', $metadata: {} }));

    await expect(
      records.setPrimary(ZONE, [API], 'us-west-2', 'us-east-1', { swapFirst: true }),
    ).rejects.toMatchObject({ name: 'ThrottledError' });
    expect(route53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(0);
  });
});

describe('getChangeStatus', () => {
  it.each(['PENDING', 'INSYNC'] as const)('returns %s', async (status) => {
    const { records } = setup();
    route53
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: status, SubmittedAt: new Date(0) } });

    await expect(records.getChangeStatus('/change/C1')).resolves.toBe(status);

    const [call] = route53.commandCalls(GetChangeCommand);
    expect(call?.args[0].input).toEqual({ Id: '/change/C1' });
    expect(await regionOf(call)).toBe('us-east-1');
  });

  it('translates NoSuchChange to ResourceNotFoundError', async () => {
    const { records } = setup();
    route53.on(GetChangeCommand).rejects(new NoSuchChange({ message: 'no change', $metadata: {} }));

    await expect(records.getChangeStatus('/change/C9')).rejects.toMatchObject({
      name: 'ResourceNotFoundError',
    });
  });
});

describe('healthCheckStatus', () => {
  const observation = (status: string) => ({
    Region: 'us-east-1' as const,
    IPAddress: '15.177.0.1',
    StatusReport: { Status: status, CheckedTime: new Date(0) },
  });

  const ok = 'Success: HTTP Status Code 200, OK';
  const ko = 'Failure: timeout';
  // Route 53: healthy when MORE than 18% of checkers say so (not a majority).
  it.each([
    ['Healthy', [ok, ok, ko]],
    ['Healthy', [ok, ko, ko]],
    ['Healthy', [ok, ok, ko, ko, ko, ko, ko, ko]], // 25%
    ['Unhealthy', [ok, ko, ko, ko, ko, ko, ko, ko]], // 12.5%
    ['Unhealthy', [ok, ko, ko, ko, ko, ko]], // 16.7%
    ['Unhealthy', []],
  ])('is %s for observations %j', async (expected, statuses) => {
    const { records } = setup();
    route53.on(GetHealthCheckStatusCommand).resolves({ HealthCheckObservations: statuses.map(observation) });

    await expect(records.healthCheckStatus('hc-usw2')).resolves.toBe(expected);

    const [call] = route53.commandCalls(GetHealthCheckStatusCommand);
    expect(call?.args[0].input).toEqual({ HealthCheckId: 'hc-usw2' });
  });

  it('translates NoSuchHealthCheck to ResourceNotFoundError', async () => {
    const { records } = setup();
    route53
      .on(GetHealthCheckStatusCommand)
      .rejects(new NoSuchHealthCheck({ message: 'gone', $metadata: {} }));

    await expect(records.healthCheckStatus('hc-x')).rejects.toMatchObject({ name: 'ResourceNotFoundError' });
  });
});

describe('setPrimaryMany', () => {
  const BILLING: FailoverRecordSpec = {
    name: 'api.billing.example.com',
    type: 'A',
    targets: {
      'us-east-1': { dnsName: 'billing-use1.elb.amazonaws.com', hostedZoneId: 'Z35SXDOTRQ7X7K' },
      'us-west-2': { dnsName: 'billing-usw2.elb.amazonaws.com', hostedZoneId: 'Z1H1FL5HABSF5' },
    },
  };

  it("reads the zone once and moves many apps' records in one change batch; an app with a foreign record is left out alone", async () => {
    // Prepare: orders and billing are PRIMARY in us-east-1; www has a set identifier not ours.
    const { records } = setup();
    const www: FailoverRecordSpec = { ...API, name: 'www.orders.example.com' };
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        listed('us-east-1', 'PRIMARY', 'hc-use1'),
        listed('us-west-2', 'SECONDARY', 'hc-usw2'),
        {
          ...listed('us-east-1', 'PRIMARY'),
          Name: 'api.billing.example.com.',
          AliasTarget: {
            DNSName: 'billing-use1.elb.amazonaws.com',
            HostedZoneId: 'Z35SXDOTRQ7X7K',
            EvaluateTargetHealth: true,
          },
        },
        {
          ...listed('us-west-2', 'SECONDARY'),
          Name: 'api.billing.example.com.',
          AliasTarget: {
            DNSName: 'billing-usw2.elb.amazonaws.com',
            HostedZoneId: 'Z1H1FL5HABSF5',
            EvaluateTargetHealth: true,
          },
        },
        { ...listed('us-east-1', 'PRIMARY', undefined, 'www.orders.example.com.'), SetIdentifier: 'blue' },
      ],
      IsTruncated: false,
    });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C9', Status: 'PENDING', SubmittedAt: new Date(0) },
    });

    // Act
    const result = await records.setPrimaryMany(ZONE, [
      { key: 'orders', records: [API], primaryRegion: 'us-west-2', secondaryRegion: 'us-east-1' },
      { key: 'billing', records: [BILLING], primaryRegion: 'us-west-2', secondaryRegion: 'us-east-1' },
      { key: 'web', records: [www], primaryRegion: 'us-west-2', secondaryRegion: 'us-east-1' },
    ]);

    // Assess: one read of the whole zone, one batch of both good apps' four UPSERTs.
    expect(route53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(1);
    expect(
      route53.commandCalls(ListResourceRecordSetsCommand)[0]?.args[0].input.StartRecordName,
    ).toBeUndefined();
    const calls = route53.commandCalls(ChangeResourceRecordSetsCommand);
    expect(calls).toHaveLength(1);
    const changes = calls[0]?.args[0].input.ChangeBatch?.Changes ?? [];
    expect(
      changes.map((c) => [
        c.ResourceRecordSet?.Name,
        c.ResourceRecordSet?.SetIdentifier,
        c.ResourceRecordSet?.Failover,
      ]),
    ).toEqual([
      ['api.orders.example.com', 'us-west-2', 'PRIMARY'],
      ['api.orders.example.com', 'us-east-1', 'SECONDARY'],
      ['api.billing.example.com', 'us-west-2', 'PRIMARY'],
      ['api.billing.example.com', 'us-east-1', 'SECONDARY'],
    ]);
    expect(result.changeId).toBe('/change/C9');
    expect(result.changed).toEqual(['orders', 'billing']);
    expect(result.refused.map((r) => r.key)).toEqual(['web']);
    expect(result.refused[0]?.error.message).toMatch(
      /not managed by Switchyard \(got set identifier\(s\) blue/,
    );
  });
});

describe("setPrimaryMany within Route 53's maximums per request", () => {
  /** App `i`'s record, PRIMARY in us-east-1 as listed, to be moved to us-west-2 (two UPSERTs). */
  const app = (i: number): FailoverRecordSpec => ({
    ...API,
    name: `api.app${i}.example.com`,
  });

  it('carries at most 100 changes (50 one-record apps) and defers the apps after, in order', async () => {
    // Prepare: 52 apps, none of whose records exists yet (each needs two UPSERTs).
    const { records } = setup();
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date(0) },
    });
    const items = Array.from({ length: 52 }, (_, i) => ({
      key: `app${i}`,
      records: [app(i)],
      primaryRegion: 'us-west-2',
      secondaryRegion: 'us-east-1',
    }));

    // Act
    const result = await records.setPrimaryMany(ZONE, items);

    // Assess: one batch of the first 50 apps' 100 UPSERTs; the last two wait for the next.
    const calls = route53.commandCalls(ChangeResourceRecordSetsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.ChangeBatch?.Changes).toHaveLength(100);
    expect(result.changed).toHaveLength(50);
    expect(result.deferred).toEqual(['app50', 'app51']);
    expect(result.refused).toEqual([]);
  });

  it("counts an UPSERT's ResourceRecord elements and Value characters twice, a DELETE's once", () => {
    const values = (n: number, width = 10) =>
      Array.from({ length: n }, (_, i) => ({ Value: String(i).padStart(width, '0') }));
    const set = (n: number, width?: number): ResourceRecordSet => ({
      Name: 'big.example.com',
      Type: 'TXT',
      TTL: 60,
      ResourceRecords: values(n, width),
    });
    const empty = { changes: 0, elements: 0, characters: 0 };

    // 600 values deleted: 600 elements, 6,000 characters; upserted: twice that.
    expect(addSize(empty, [{ Action: 'DELETE', ResourceRecordSet: set(600) }])).toEqual({
      changes: 1,
      elements: 600,
      characters: 6_000,
    });
    expect(withinRequestMaximums(addSize(empty, [{ Action: 'DELETE', ResourceRecordSet: set(600) }]))).toBe(
      true,
    );
    expect(withinRequestMaximums(addSize(empty, [{ Action: 'UPSERT', ResourceRecordSet: set(600) }]))).toBe(
      false,
    );
    // 400 values of 50 characters upserted: 800 elements (within), 40,000 characters (over 32,000).
    expect(
      withinRequestMaximums(addSize(empty, [{ Action: 'UPSERT', ResourceRecordSet: set(400, 50) }])),
    ).toBe(false);
    // An alias record counts no element nor character: only the number of changes binds.
    expect(addSize(empty, [{ Action: 'UPSERT', ResourceRecordSet: listed('us-west-2', 'PRIMARY') }])).toEqual(
      {
        changes: 1,
        elements: 0,
        characters: 0,
      },
    );
  });
});
