#!/usr/bin/env node
/**
 * The `gearhq` command. `serve` runs the server; the client-side commands (job, jobs, submit,
 * schedules, status) talk to a running server through its HTTP API.
 */
import { Command, Option } from 'commander';
import { startServer, VERSION } from '../app.js';
import { ConfigError, loadConfig, OPTIONS } from '../config.js';
import { registerJobCommands } from './commands-jobs.js';
import { registerScheduleCommands } from './commands-schedules.js';
import { registerStatusCommand } from './commands-status.js';
import { registerTopCommand } from './commands-top.js';

const program = new Command();
program.name('gearhq').description('Gearman HQ: a Gearman-compatible job server').version(VERSION)
  // A command's options end where its subcommand begins: `jobs -f x` lists, `jobs cancel -f x` cancels.
  .enablePositionalOptions();

const serve = program.command('serve').description('run the server (SIGTERM = graceful stop, SIGINT = immediate)');
for (const spec of OPTIONS) {
  if (spec.kind === 'retention' || spec.kind === 'policies' || spec.kind === 'schedules' || spec.kind === 'alertRules') continue; // config file only
  const flags = `${spec.short ? `-${spec.short}, ` : ''}--${spec.name}${spec.kind === 'bool' ? '' : ' <value>'}`;
  const opt = new Option(flags, spec.description);
  serve.addOption(opt);
}
serve.option('--config <file>', 'read options from a JSON file; flags override env override file');
serve.action(async (flags: Record<string, unknown>) => {
  let app;
  try {
    const config = loadConfig(flags, process.env, flags.config as string | undefined);
    app = await startServer(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`gearhq: ${e.message}\n`);
      process.exit(2);
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
      process.stderr.write(`gearhq: cannot listen: ${err.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const running = app;
  // A repeated SIGTERM does not cut the graceful stop short; SIGINT always means now.
  process.on('SIGTERM', () => {
    running.log.info('SIGTERM: stopping gracefully');
    void running.stop().then(() => process.exit(0));
  });
  process.on('SIGINT', () => {
    running.log.info('SIGINT: stopping now');
    void running.kill().then(() => process.exit(0));
  });
});

registerStatusCommand(program);
registerTopCommand(program);
registerJobCommands(program);
registerScheduleCommands(program);

await program.parseAsync(process.argv);
