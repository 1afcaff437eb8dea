import { runCli } from '../../cli/run.js';

/** What one in-process CLI run printed, and its exit status. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process with buffers for stdout and stderr (no `--api` is added). */
export async function runCaptured(argv: readonly string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io = {
    out: {
      write: (text: string) => {
        out += text;
      },
    },
    err: {
      write: (text: string) => {
        err += text;
      },
    },
  };
  const code = await runCli([...argv], io);
  return { code, out, err };
}
