/**
 * What every client-side command shares: `--url` (default http://127.0.0.1:4731, or GEARHQ_URL)
 * and `--json`, and one way to fail — a message on stderr and exit code 1 when the server is down
 * or answers with an error, 2 when the command line itself is wrong.
 */
import type { Command } from 'commander';
import { ApiClient, ApiFailure, DEFAULT_URL, resolveBaseUrl, ServerUnreachable } from './http-client.js';

export interface ClientContext {
  api: ApiClient;
  json: boolean;
  /** Writes to stdout. */
  out(text: string): void;
  /** Prints a value as JSON (for --json). */
  printJson(value: unknown): void;
}

/** A wrong argument or option: exit code 2, like `serve`'s bad options. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Adds --url and --json to `cmd`; its own usage errors (a bad choice, a missing argument) exit 2. */
export function clientOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', `the server's HTTP API (default: $GEARHQ_URL or ${DEFAULT_URL})`)
    .option('--json', 'print the server\'s JSON answer, for scripts')
    .option('--token <token>', 'Bearer token for a server started with --http-token (default: $GEARHQ_TOKEN)')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
}

function fail(message: string, code: number): never {
  process.stderr.write(`gearhq: ${message}\n`);
  process.exit(code);
}

/**
 * Wraps a command's action: builds its context from the options and turns failures into a
 * message and an exit code. `run` receives the positional arguments and the options.
 */
export function clientAction<A extends unknown[]>(
  run: (ctx: ClientContext, opts: Record<string, unknown>, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const opts = cmd.opts() as Record<string, unknown>;
    const args = all.slice(0, -2) as A;
    let api: ApiClient;
    try {
      api = new ApiClient(resolveBaseUrl(opts.url as string | undefined), 15000,
        (opts.token as string | undefined) ?? process.env.GEARHQ_TOKEN ?? '');
    } catch (e) {
      fail((e as Error).message, 2);
    }
    const ctx: ClientContext = {
      api,
      json: opts.json === true,
      out: (text) => { process.stdout.write(text); },
      printJson: (value) => { process.stdout.write(`${JSON.stringify(value, null, 2)}\n`); },
    };
    try {
      await run(ctx, opts, ...args);
    } catch (e) {
      if (e instanceof ServerUnreachable) fail(e.message, 1);
      if (e instanceof ApiFailure) fail(`${e.message} (${e.code})`, 1);
      if (e instanceof UsageError) fail(e.message, 2);
      throw e;
    }
  };
}
