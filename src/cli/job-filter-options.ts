/**
 * The job filter flags `gearhq jobs` and `gearhq jobs cancel|retry` share, and their translation
 * into the API's filter (`function, state, unique, q, since, until`).
 */
import { Option, type Command } from 'commander';
import { UsageError } from './client-command.js';
import { parseUserTime } from './times.js';
import { JOB_STATES } from '../store/store.js';

export interface JobFilterJson {
  function?: string;
  state?: string;
  unique?: string;
  q?: string;
  since?: string;
  until?: string;
}

/** Adds the filter flags to `cmd`; `stateHelp` says what no --state means for this command. */
export function addJobFilterOptions(cmd: Command, stateHelp = 'only jobs in this state'): Command {
  return cmd
    .option('-f, --function <name>', 'only this function')
    .addOption(new Option('-s, --state <state>', stateHelp).choices([...JOB_STATES]))
    .option('-u, --unique <unique>', 'only jobs with this unique')
    .option('-q, --search <text>', 'only jobs with this text in their payload, result or error')
    .option('--since <time>', 'only jobs submitted at or after this time (ISO-8601; without a zone it is your local time)')
    .option('--until <time>', 'only jobs submitted before this time');
}

/** A time flag's value as ISO-8601 (UsageError when it is no time a person would write). */
export function timeFlag(value: unknown, flag: string): string {
  const at = parseUserTime(String(value));
  if (at === null) throw new UsageError(`${flag}: not a time: ${JSON.stringify(value)} (try 2026-12-01T09:00, with Z or +01:00 for a zone)`);
  return at.toISOString();
}

/** The API's filter from the parsed flags (only those given). */
export function jobFilterFrom(opts: Record<string, unknown>): JobFilterJson {
  const f: JobFilterJson = {};
  if (opts.function !== undefined) f.function = String(opts.function);
  if (opts.state !== undefined) f.state = String(opts.state);
  if (opts.unique !== undefined) f.unique = String(opts.unique);
  if (opts.search !== undefined) f.q = String(opts.search);
  if (opts.since !== undefined) f.since = timeFlag(opts.since, '--since');
  if (opts.until !== undefined) f.until = timeFlag(opts.until, '--until');
  return f;
}
