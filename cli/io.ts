/** Where a command writes: stdout for results, stderr for diagnostics. Tests pass buffers. */
export interface CliIo {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

/** Exit codes: 0 success, 1 the operation failed or was refused, 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A wrong command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The operation failed or could not be followed to its end (exit 1): printed as
 * `error: <message>`, or as `{"error":{"name":..,"message":..}}` under `--json`.
 */
export class OperationError extends Error {
  override readonly name = 'OperationError';
  constructor(
    /** A stable name for machines, e.g. `FollowTimeout`. */
    readonly errorName: string,
    message: string,
    /** What the operation got to, for `--json` (e.g. the last execution record seen). */
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

/** Writes `text` and a newline. */
export function line(io: CliIo['out'], text = ''): void {
  io.write(`${text}\n`);
}
