import { type Command, Option } from '@commander-js/extra-typings';
import { expectedOf, show } from '../functions/core/problems.js';
import { ApiClient, DEFAULT_API, printJson, str, table } from './client.js';
import { EXIT, line, UsageError } from './io.js';
import { type CommandContext, finiteNumber, withClientOptions } from './program.js';

export const FAULT_USAGE =
  '--kind K [fault options] | --clear all | --clear --kind K [fault options] | --list [--api URL] [--as NAME] [--json]';
export const ALARM_USAGE =
  '--name N --state OK|ALARM|INSUFFICIENT_DATA [--region R] | --list [--api URL] [--as NAME] [--json]';

const FAULT_EXAMPLES = [
  'Examples:',
  '  switchyard fault --kind region-outage --region us-east-1',
  '  switchyard fault --kind route53-control-plane-down',
  '  switchyard fault --kind arc-endpoints-down --count 2',
  '  switchyard fault --kind api-errors --service rds [--region R] [--error ThrottlingException] [--rate 0.5]',
  '  switchyard fault --kind aurora-failover-fails --global-cluster-id orders-global',
  '  switchyard fault --kind replication-lag --global-cluster-id orders-global --lag-seconds 45',
  '  switchyard fault --kind engine-version-mismatch --global-cluster-id orders-global --region us-west-2',
  '  switchyard fault --kind capacity-shortage --group orders-web-usw2 --max-in-service 3',
  '  switchyard fault --kind instances-unhealthy --group orders-web-usw2 [--cause lifecycle-hook]',
  '  switchyard fault --kind lambda-crash --step PromoteDatabase [--times 2]',
  '  switchyard fault --kind checkers-blocked --region us-east-1 --count 6   # 6 of 8 Route 53 checker regions cut off',
  '  switchyard fault --clear all | fault --clear --kind K [fields of the faults to clear] | fault --list',
].join('\n');

/** Fault options: the flag, the fault field it sets, what it means, and whether it is a number. */
const FAULT_FIELDS = [
  {
    flag: 'region',
    field: 'region',
    number: false,
    about: 'the region (region-outage, api-errors, engine-version-mismatch, checkers-blocked)',
  },
  {
    flag: 'count',
    field: 'count',
    number: true,
    about:
      'how many of the five ARC cluster endpoints, 1..2 (arc-endpoints-down), or of the 8 checker regions (checkers-blocked)',
  },
  {
    flag: 'service',
    field: 'service',
    number: false,
    about: 'rds, autoscaling, route53, arc, ... (api-errors)',
  },
  {
    flag: 'error',
    field: 'error',
    number: false,
    about: 'the error name (api-errors; default ThrottlingException)',
  },
  { flag: 'rate', field: 'rate', number: true, about: 'the share of calls that fail, 0..1 (api-errors)' },
  {
    flag: 'group',
    field: 'group',
    number: false,
    about: 'the Auto Scaling group (capacity-shortage, instances-unhealthy)',
  },
  {
    flag: 'cause',
    field: 'cause',
    number: false,
    about: 'health-check (default) or lifecycle-hook (instances-unhealthy)',
  },
  {
    flag: 'max-in-service',
    field: 'maxInService',
    number: true,
    about: 'instances that can run (capacity-shortage)',
  },
  { flag: 'global-cluster-id', field: 'globalClusterId', number: false, about: 'the Aurora global cluster' },
  {
    flag: 'lag-seconds',
    field: 'lagSeconds',
    number: true,
    about: 'how far every secondary lags (replication-lag)',
  },
  { flag: 'step', field: 'step', number: false, about: 'the step function that crashes (lambda-crash)' },
  { flag: 'times', field: 'times', number: true, about: 'how many times it crashes (lambda-crash)' },
  {
    flag: 'seconds',
    field: 'seconds',
    number: true,
    about: 'how long changes stay PENDING (route53-change-stuck)',
  },
  {
    flag: 'endpoints-down',
    field: 'endpointsDown',
    number: true,
    about: 'ARC endpoints down beyond the guarantee, 3..5 (arc-cluster-unavailable)',
  },
] as const;

type FaultRecord = Record<string, unknown> & { kind: string };

/**
 * `switchyard fault`: sets, clears or lists the sandbox's faults (the README lists the kinds), e.g.
 * `fault --kind region-outage --region us-east-1`, `fault --clear all`, `fault --list`.
 */
export function defineFault(program: Command, context: CommandContext): void {
  const command = program
    .command('fault')
    .summary('set, clear or list sandbox faults')
    .description(
      "Sets, clears or lists the sandbox's faults (sandbox only; as alice, an operator, by default).",
    )
    .usage(FAULT_USAGE)
    .option('--kind <K>', 'the fault kind (see the examples)')
    .option('--clear [all]', "clear 'all', or the faults of --kind K that match the fields given")
    .option('--list', 'the faults in force');
  for (const f of FAULT_FIELDS) {
    const option = new Option(`--${f.flag} <${f.number ? 'N' : 'V'}>`, f.about).helpGroup('fault options:');
    command.addOption(f.number ? option.argParser(finiteNumber) : option);
  }
  withClientOptions(command, DEFAULT_API)
    .addHelpText('after', `\n${FAULT_EXAMPLES}`)
    .action(async (options) => {
      const { io } = context;
      const flags = options as Record<string, unknown>;
      const fields: Record<string, unknown> = {};
      for (const { flag, field } of FAULT_FIELDS) {
        const value = flags[camel(flag)];
        if (value !== undefined) fields[field] = value;
      }
      const clear = options.clear;
      const modes = [
        options.list,
        clear !== undefined,
        options.kind !== undefined && clear === undefined,
      ].filter(Boolean).length;
      if (modes !== 1)
        throw new UsageError('give one of --kind K (set a fault), --clear all | --clear --kind K, --list');
      // --region here is the fault's region, not the API's.
      const client = ApiClient.create({ ...options, region: undefined }, 'alice');

      if (options.list) {
        if (Object.keys(fields).length > 0) throw new UsageError('--list takes no fault options');
        const answer = await client.get<{ faults: FaultRecord[] }>('/sandbox/faults');
        if (options.json) printJson(io, answer);
        else if (answer.faults.length === 0) line(io.out, 'no faults');
        else for (const fault of answer.faults) line(io.out, describe(fault));
        return;
      }

      if (clear !== undefined) {
        let what: 'all' | FaultRecord;
        if (clear === 'all' && options.kind === undefined && Object.keys(fields).length === 0) what = 'all';
        else if (clear === true && options.kind !== undefined) what = { kind: options.kind, ...fields };
        else
          throw new UsageError(
            `--clear takes 'all', or --kind K with the fields of the faults to clear${typeof clear === 'string' && clear !== 'all' ? ` (got ${clear})` : ''}`,
          );
        const answer = await client.delete<{ cleared: number; faults: FaultRecord[] }>('/sandbox/faults', {
          clear: what,
        });
        if (options.json) printJson(io, answer);
        else line(io.out, `cleared ${answer.cleared} fault(s); ${inForce(answer.faults)}`);
        return;
      }

      const fault = await validFault({ kind: options.kind as string, ...fields });
      const answer = await client.post<{ fault: FaultRecord; faults: FaultRecord[] }>('/sandbox/faults', {
        fault,
      });
      if (options.json) printJson(io, answer);
      else line(io.out, `fault set: ${describe(answer.fault)}; ${inForce(answer.faults)}`);
    });
}

/** commander's attribute name of a flag: `max-in-service` is `maxInService`. */
function camel(flag: string): string {
  return flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

/** Checks a fault against the sandbox's schema before sending it: a wrong flag is a usage error. */
async function validFault(fault: FaultRecord): Promise<FaultRecord> {
  // Loaded on demand: the schema module pulls in the AWS SDK, which no other client command needs.
  const { FaultSchema, FAULT_KINDS } = await import('../sandbox/faults.js');
  if (!(FAULT_KINDS as readonly string[]).includes(fault.kind))
    throw new UsageError(
      `--kind: unknown fault kind (got ${fault.kind}, expected one of ${FAULT_KINDS.join(', ')})`,
    );
  const parsed = FaultSchema.safeParse(fault, { reportInput: true });
  if (parsed.success) return parsed.data as FaultRecord;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const flag = FAULT_FIELDS.find((f) => f.field === path)?.flag ?? path;
    if (issue.code === 'unrecognized_keys')
      return `--${issue.keys.map((k) => FAULT_FIELDS.find((f) => f.field === k)?.flag ?? k).join(', --')} not an option of ${fault.kind}`;
    const expected = expectedOf(issue);
    if (issue.code === 'invalid_type' && issue.input === undefined)
      return `--${flag} is required (got none${expected ? `, expected ${expected}` : ''})`;
    const got = 'input' in issue && issue.input !== undefined ? `got ${show(issue.input)}` : '';
    const detail = [got, expected ? `expected ${expected}` : ''].filter(Boolean).join(', ');
    return `${flag ? `--${flag}` : 'fault'}: ${issue.message}${detail ? ` (${detail})` : ''}`;
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

const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;

/** `switchyard alarm`: sets a detection alarm's state in the sandbox ("the canary fails"), or lists them. */
export function defineAlarm(program: Command, context: CommandContext): void {
  withClientOptions(
    program
      .command('alarm')
      .summary("set a sandbox alarm's state, or list alarms")
      .description(
        "Sets a plan's detection alarm to a state, as if its metric breached or recovered (sandbox only):\nALARM may start an automatic failover, as the plan's detection says. --region is the alarm's\nregion; it may be left out when the name is unique. As alice by default.",
      )
      .usage(ALARM_USAGE)
      .option('--name <N>', 'the alarm name (see --list)')
      .option('--region <R>', "the alarm's region (may be left out when the name is unique)")
      .addOption(new Option('--state <S>', 'OK, ALARM or INSUFFICIENT_DATA').choices(ALARM_STATES))
      .option('--reason <TEXT>', 'the state reason')
      .option('--list', 'the alarms of the plans, with their states'),
    DEFAULT_API,
  ).action(async (options) => {
    const { io } = context;
    // --region here is the alarm's region, not the API's.
    const client = ApiClient.create({ ...options, region: undefined }, 'alice');
    if (options.list) {
      const answer = await client.get<{ alarms: AlarmView[] }>('/sandbox/alarms');
      if (options.json) printJson(io, answer);
      else if (answer.alarms.length === 0) line(io.out, 'no alarms');
      else {
        const rows = [['APP', 'ALARM', 'REGION', 'STATE']];
        for (const a of answer.alarms) rows.push([a.app, a.name, a.region, str(a.state)]);
        for (const text of table(rows)) line(io.out, text);
      }
      return;
    }
    const { name, state } = options;
    if (!name || !state) throw new UsageError('--name and --state are required (or --list)');
    let region = options.region;
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
      { name, region, state, ...(options.reason ? { reason: options.reason } : {}) },
    );
    if (options.json) printJson(io, answer);
    else line(io.out, `alarm ${answer.alarm.name} (${answer.alarm.region}) is ${answer.alarm.state}`);
    context.code = EXIT.ok;
  });
}
