import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import { AUTH_MODES } from './client.js';
import type { CliIo } from './io.js';

/** What every command's action needs besides its options. */
export interface CommandContext {
  readonly io: CliIo;
  /** The exit code the action decided; `runCli` returns it. */
  code: number;
}

/** The heading of the options every API command shares, listed after the command's own. */
export const COMMON_OPTIONS = 'common options:';

/** The exit status paragraph at the end of every API command's help. */
export const EXIT_STATUS_HELP =
  'Exit status: 0 done, 1 the API refused or failed (or is unreachable), 2 a wrong command line.';

/** Switchyard's version, from package.json (the CLI is run from the repository, through tsx). */
export function switchyardVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}

/**
 * The `switchyard` root command, set up for a run whose output goes to `io`: commander writes help
 * and version there, never calls `process.exit` (errors come back as `CommanderError`s for
 * `runCli` to word), suggests the nearest command or flag on a typo, and prints help in the
 * house style (lower-case headings, flags as `--app A`).
 */
export function rootCommand(io: CliIo): Command {
  const columns = (stream: CliIo['out']) => {
    const tty = stream as { isTTY?: boolean; columns?: number };
    return tty.isTTY && tty.columns ? tty.columns : 100;
  };
  return new Command('switchyard')
    .usage('<command> [options]')
    .description(
      'Switchyard: multi-region failover runbooks for AWS, and a local sandbox to try them in.\n' +
        'Start the sandbox with `npm start`, then use the other commands from a second shell.',
    )
    .version(switchyardVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', "show a command's help")
    .configureOutput({
      writeOut: (text) => io.out.write(text),
      writeErr: (text) => io.err.write(text),
      // Errors are worded by runCli (with the usage, or as JSON under --json).
      outputError: () => undefined,
      getOutHelpWidth: () => columns(io.out),
      getErrHelpWidth: () => columns(io.err),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({
      styleTitle: (title) => title.toLowerCase(),
      // `--app A` as in the usage lines and the README, not `--app <A>`.
      optionTerm: (option) => option.flags.replace(/<([^>]+)>/g, '$1'),
      sortSubcommands: false,
    })
    .showSuggestionAfterError(true)
    .exitOverride();
}

/**
 * Adds the options every API command takes (in the `common options:` group of its help) and the
 * exit status paragraph. Most also take {@link withApiRegionOption}.
 */
export function withClientOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
  defaultApi: string,
) {
  return command
    .addOption(
      new Option(
        '--api <URL>',
        `the operator API (default ${defaultApi}, the sandbox of \`npm start\`)`,
      ).helpGroup(COMMON_OPTIONS),
    )
    .addOption(
      new Option(
        '--as <NAME>',
        'act as this sandbox identity: alice, bob, carol or victor (token from GET /sandbox/tokens)',
      ).helpGroup(COMMON_OPTIONS),
    )
    .addOption(
      new Option(
        '--token <JWT>',
        'a bearer token instead (a real deployment); or set SWITCHYARD_TOKEN',
      ).helpGroup(COMMON_OPTIONS),
    )
    .addOption(
      new Option(
        '--auth <MODE>',
        'jwt (a bearer token, the default) or iam: break-glass, SigV4 with your AWS credentials (standard chain) for the --region API',
      )
        .choices(AUTH_MODES)
        .helpGroup(COMMON_OPTIONS),
    )
    .addOption(
      new Option('--json', 'print the API answer as JSON (errors too, on stdout)').helpGroup(COMMON_OPTIONS),
    )
    .addHelpText('after', `\n${EXIT_STATUS_HELP}`);
}

/**
 * Adds `--region R`, which picks the region whose operator API answers. Not for `fault` and
 * `alarm`, whose `--region` names the region of the fault or alarm.
 */
export function withApiRegionOption<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
) {
  return command.addOption(
    new Option(
      '--region <R>',
      "ask this region's operator API (sends X-Switchyard-Region; default: the first region up)",
    ).helpGroup(COMMON_OPTIONS),
  );
}

/** An option parser: a number of seconds > 0. */
export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a number of seconds > 0');
  return n;
}

/** An option parser: a finite number. */
export function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}

/** An option parser: an integer in `[min, max]`. */
export function integerIn(min: number, max: number, what = `an integer in ${min}..${max}`) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
}

/** `a or b`, or `one of a, b, c`: the expected values of a choice, for messages. */
export function expectedOneOf(values: readonly string[]): string {
  if (values.length === 2) return `${values[0]} or ${values[1]}`;
  return `one of ${values.join(', ')}`;
}
