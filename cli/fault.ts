import { parseArgs } from 'node:util';
import { ApiClient, CLIENT_OPTIONS, helpText, printJson, str, table, withApi } from './client.js';
import { type CliIo, EXIT, line, UsageError } from './io.js';

export const FAULT_USAGE =
  'switchyard fault --kind K [fault options] | --clear all | --clear --kind K | --list';
export const ALARM_USAGE =
  'switchyard alarm --name N --state OK|ALARM|INSUFFICIENT_DATA [--region R] | --list';

const FAULT_HELP = helpText(
  FAULT_USAGE,
  [
    "Sets, clears or lists the sandbox's faults (sandbox only; as alice, an operator, by default):",
    '  fault --kind region-outage --region us-east-1',
    '  fault --kind route53-control-plane-down',
    '  fault --kind arc-endpoints-down --count 2',
    '  fault --kind api-errors --service rds [--region R] [--error ThrottlingException] [--rate 0.5]',
    '  fault --kind aurora-failover-fails --global-cluster-id orders-global',
    '  fault --kind capacity-shortage --group orders-web-usw2 --max-in-service 3',
    '  fault --kind lambda-crash --step PromoteDatabase [--times 2]',
    '  fault --clear all | fault --clear --kind K [fields of the faults to clear] | fault --list',
  ].join('\n'),
  [
    ['--kind K', 'the fault kind (above)'],
    ['--clear', "clear 'all', or the faults of --kind K that match the fields given"],
    ['--list', 'the faults in force'],
  ],
);
const ALARM_HELP = helpText(
  ALARM_USAGE,
  "Sets a plan's detection alarm to a state, as if its metric breached or recovered (sandbox only):\nALARM may start an automatic failover, as the plan's detection says. --region is the alarm's\nregion; it may be left out when the name is unique. As alice by default.",
  [
    ['--name N', 'the alarm name (see --list)'],
    ['--state S', 'OK, ALARM or INSUFFICIENT_DATA'],
    ['--reason TEXT', 'the state reason'],
    ['--list', 'the alarms of the plans, with their states'],
  ],
);

/** Fault options: the flag, the fault field it sets, and whether it is a number. */
const FAULT_FIELDS = [
  { flag: 'region', field: 'region', number: false },
  { flag: 'count', field: 'count', number: true },
  { flag: 'service', field: 'service', number: false },
  { flag: 'error', field: 'error', number: false },
  { flag: 'rate', field: 'rate', number: true },
  { flag: 'group', field: 'group', number: false },
  { flag: 'max-in-service', field: 'maxInService', number: true },
  { flag: 'global-cluster-id', field: 'globalClusterId', number: false },
  { flag: 'step', field: 'step', number: false },
  { flag: 'times', field: 'times', number: true },
] as const;

type FaultRecord = Record<string, unknown> & { kind: string };

/**
 * `switchyard fault`: sets, clears or lists the sandbox's faults (design.md §5 fault kinds), e.g.
 * `fault --kind region-outage --region us-east-1`, `fault --clear all`, `fault --list`.
 */
export async function faultCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CLIENT_OPTIONS,
      kind: { type: 'string' },
      clear: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      ...Object.fromEntries(FAULT_FIELDS.map((f) => [f.flag, { type: 'string' } as const])),
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    line(io.out, FAULT_HELP);
    return EXIT.ok;
  }
  const flags = values as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const { flag, field, number } of FAULT_FIELDS) {
    const raw = flags[flag];
    if (typeof raw !== 'string') continue;
    if (number) {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new UsageError(`--${flag}: expected a number, got ${raw}`);
      fields[field] = n;
    } else fields[field] = raw;
  }
  const modes = [values.list, values.clear, values.kind !== undefined && !values.clear].filter(
    Boolean,
  ).length;
  if (modes !== 1)
    throw new UsageError('give one of --kind K (set a fault), --clear all | --clear --kind K, --list');
  const client = ApiClient.create(values, 'alice');

  if (values.list) {
    if (positionals.length > 0 || Object.keys(fields).length > 0)
      throw new UsageError('--list takes no fault options');
    return withApi(io, async () => {
      const answer = await client.get<{ faults: FaultRecord[] }>('/sandbox/faults');
      if (values.json) printJson(io, answer);
      else if (answer.faults.length === 0) line(io.out, 'no faults');
      else for (const fault of answer.faults) line(io.out, describe(fault));
      return EXIT.ok;
    });
  }

  if (values.clear) {
    let clear: 'all' | FaultRecord;
    if (
      positionals.length === 1 &&
      positionals[0] === 'all' &&
      values.kind === undefined &&
      Object.keys(fields).length === 0
    )
      clear = 'all';
    else if (positionals.length === 0 && values.kind !== undefined) clear = { kind: values.kind, ...fields };
    else throw new UsageError("--clear takes 'all', or --kind K with the fields of the faults to clear");
    return withApi(io, async () => {
      const answer = await client.delete<{ cleared: number; faults: FaultRecord[] }>('/sandbox/faults', {
        clear,
      });
      if (values.json) printJson(io, answer);
      else line(io.out, `cleared ${answer.cleared} fault(s); ${inForce(answer.faults)}`);
      return EXIT.ok;
    });
  }

  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const fault = await validFault({ kind: values.kind as string, ...fields });
  return withApi(io, async () => {
    const answer = await client.post<{ fault: FaultRecord; faults: FaultRecord[] }>('/sandbox/faults', {
      fault,
    });
    if (values.json) printJson(io, answer);
    else line(io.out, `fault set: ${describe(answer.fault)}; ${inForce(answer.faults)}`);
    return EXIT.ok;
  });
}

/** Checks a fault against the sandbox's schema before sending it: a wrong flag is a usage error. */
async function validFault(fault: FaultRecord): Promise<FaultRecord> {
  // Loaded on demand: the schema module pulls in the AWS SDK, which no other client command needs.
  const { FaultSchema } = await import('../sandbox/faults.js');
  const parsed = FaultSchema.safeParse(fault);
  if (parsed.success) return parsed.data as FaultRecord;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const flag = FAULT_FIELDS.find((f) => f.field === path)?.flag ?? path;
    if (issue.code === 'unrecognized_keys')
      return `--${issue.keys.map((k) => FAULT_FIELDS.find((f) => f.field === k)?.flag ?? k).join(', --')} not an option of ${fault.kind}`;
    return `${flag ? `--${flag}` : 'fault'}: ${issue.message}`;
  });
  throw new UsageError(`fault ${fault.kind}: ${problems.join('; ')}`);
}

function describe(fault: FaultRecord): string {
  const { kind, ...rest } = fault;
  return [kind, ...Object.entries(rest).map(([k, v]) => `${k}=${str(v)}`)].join(' ');
}

function inForce(faults: readonly FaultRecord[]): string {
  return faults.length === 0 ? 'no faults in force' : `${faults.length} in force`;
}

interface AlarmView {
  readonly app: string;
  readonly name: string;
  readonly region: string;
  readonly state: string | null;
}

/** `switchyard alarm`: sets a detection alarm's state in the sandbox ("the canary fails"), or lists them. */
export async function alarmCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...CLIENT_OPTIONS,
      name: { type: 'string' },
      state: { type: 'string' },
      reason: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    line(io.out, ALARM_HELP);
    return EXIT.ok;
  }
  const client = ApiClient.create({ ...values, region: undefined }, 'alice');
  if (values.list) {
    return withApi(io, async () => {
      const answer = await client.get<{ alarms: AlarmView[] }>('/sandbox/alarms');
      if (values.json) printJson(io, answer);
      else if (answer.alarms.length === 0) line(io.out, 'no alarms');
      else {
        const rows = [['APP', 'ALARM', 'REGION', 'STATE']];
        for (const a of answer.alarms) rows.push([a.app, a.name, a.region, str(a.state)]);
        for (const text of table(rows)) line(io.out, text);
      }
      return EXIT.ok;
    });
  }
  const { name, state } = values;
  if (!name || !state) throw new UsageError('--name and --state are required (or --list)');
  const states = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
  if (!states.includes(state))
    throw new UsageError(`--state: expected one of ${states.join(', ')}, got ${state}`);
  return withApi(io, async () => {
    // --region here is the alarm's region; it may be left out when the name is unique.
    let region = values.region;
    if (!region) {
      const { alarms } = await client.get<{ alarms: AlarmView[] }>('/sandbox/alarms');
      const matches = alarms.filter((a) => a.name === name);
      if (matches.length !== 1)
        throw new UsageError(
          matches.length === 0
            ? `--name: no alarm ${name}; the sandbox has ${alarms.map((a) => a.name).join(', ') || 'none'}`
            : `--region is required: ${name} is in ${matches.map((a) => a.region).join(', ')}`,
        );
      region = (matches[0] as AlarmView).region;
    }
    const answer = await client.post<{ alarm: { name: string; region: string; state: string } }>(
      '/sandbox/alarms',
      {
        name,
        region,
        state,
        ...(values.reason ? { reason: values.reason } : {}),
      },
    );
    if (values.json) printJson(io, answer);
    else line(io.out, `alarm ${answer.alarm.name} (${answer.alarm.region}) is ${answer.alarm.state}`);
    return EXIT.ok;
  });
}
