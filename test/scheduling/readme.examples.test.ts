/**
 * Keeps the README's "Scheduling, retries and rescheduling" section honest: the PHP and Perl
 * reschedule functions it shows are, character for character, the ones the peer tests run (marked
 * `README:<name>` … `README:end` in test/peers/scripts/scheduling-worker.*); the whole PHP and
 * Perl examples, run as written (only the port changed), reschedule a job until its input exists;
 * and its config file example is accepted by the server's config loader with the meaning the
 * section gives it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/servers.js';
import { SCRIPTS_DIR, waitForWorkers } from '../support/peers.js';
import { loadConfig } from '../../src/config.js';
import { PacketType, fnStatus, readHistory, schedEnv, submit, waitForFn } from './harness.js';

const TITLE = '## Scheduling, retries and rescheduling';

/** The section's text, from its title to the next `## ` title. */
function section(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${TITLE}\n`);
  assert.ok(start >= 0, `README.md has a section "${TITLE}"`);
  const persistence = readme.indexOf('\n## Persistence\n');
  assert.ok(persistence >= 0 && persistence < start, 'it comes after "Persistence"');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The fenced code blocks of `lang` in `text`. */
function codeBlocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** The lines between `<comment> README:<name>` and `<comment> README:end` in a script. */
function excerpt(script: string, comment: string, name: string): string {
  const text = readFileSync(join(SCRIPTS_DIR, script), 'utf8');
  const begin = text.indexOf(`${comment} README:${name}\n`);
  const end = text.indexOf(`${comment} README:end\n`, begin);
  assert.ok(begin >= 0 && end > begin, `${script} marks README:${name}`);
  return text.slice(text.indexOf('\n', begin) + 1, end);
}

test('README: the PHP reschedule example is the function the PHP peer test runs', () => {
  const code = excerpt('scheduling-worker.php', '//', 'php-reschedule');
  assert.ok(code.includes("sendException('gearhq:reschedule +1')"));
  assert.ok(codeBlocks(section(), 'php').some((b) => b.includes(code)),
    `a php block of the section contains, verbatim:\n${code}`);
});

test('README: the Perl reschedule example is the function the Perl peer test runs', () => {
  const code = excerpt('scheduling-worker.pl', '#', 'perl-reschedule');
  assert.ok(code.includes("send_work_exception($job, 'gearhq:reschedule +1')"));
  assert.ok(codeBlocks(section(), 'perl').some((b) => b.includes(code)),
    `a perl block of the section contains, verbatim:\n${code}`);
});

test('README: the retry-policies config example loads, with the meaning the section gives it', (t) => {
  const blocks = codeBlocks(section(), 'json');
  assert.equal(blocks.length, 1, 'one config file example');
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-readme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gearhq.json');
  writeFileSync(file, blocks[0]!);
  const config = loadConfig({}, {}, file);
  assert.deepEqual(config.retryPolicies, {
    send_invoice: {
      maxAttempts: 5,
      backoff: { initialMs: 1000, factor: 2, maxMs: 60000, jitter: 0.1 },
      retryOn: ['fail', 'exception', 'timeout', 'lost'],
      foreground: false,
      timeoutMs: null,
    },
  });
  // The defaults the section's table lists.
  const dflt = loadConfig({ defaultRetryPolicy: '{"maxAttempts": 3}' }, {}).defaultRetryPolicy;
  assert.deepEqual(dflt, {
    maxAttempts: 3,
    backoff: { initialMs: 1000, factor: 2, maxMs: 3600000, jitter: 0 },
    retryOn: ['fail', 'exception', 'timeout', 'lost'],
    foreground: false,
    timeoutMs: null,
  });
  assert.deepEqual(loadConfig({}, { GEARHQ_DEFAULT_RETRY_POLICY: '{"maxAttempts": 3}' }).defaultRetryPolicy, dflt,
    'the same from GEARHQ_DEFAULT_RETRY_POLICY');
});

/**
 * Runs a README example as a worker on a test server and shows that it reschedules: its job is
 * still held after its first attempts (the input is missing), and completes once the input exists.
 */
async function runsAsWritten(t: Parameters<typeof schedEnv>[0], lang: 'php' | 'perl', prelude: string): Promise<void> {
  const blocks = codeBlocks(section(), lang);
  assert.equal(blocks.length, 1, `one ${lang} example`);
  assert.ok(blocks[0]!.includes('4730'), 'the example names the default port');
  const env = await schedEnv(t, { store: 'sqlite' });
  const program = join(env.dir, `example.${lang === 'php' ? 'php' : 'pl'}`);
  writeFileSync(program, prelude + blocks[0]!.replaceAll('4730', String(env.port)));
  const worker = env.peers.spawn(lang, [program], { timeoutMs: 20000 });
  await waitForWorkers(env.server(), 'report', 1);
  const c = await env.connect();
  const input = join(env.dir, 'input.csv');
  const handle = await submit(c, PacketType.SUBMIT_JOB_BG, ['report', '', input]);
  // Long enough for the first attempt and one more (each is a second after the last).
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await fnStatus(c, 'report'), { total: 1, running: 0, workers: 1 },
    'still held while the input is missing (an ordinary exception would have ended it)');
  writeFileSync(input, 'a,b\n');
  await waitForFn(c, 'report', (s) => s.total === 0, 'the job completed', 3000);
  assert.ok(worker.running, 'the example worker is still running');
  assert.equal(worker.stderrText(), '');
  await env.stop();
  const { record, events } = await readHistory(env.dataDir, handle);
  assert.equal(record.state, 'completed');
  assert.equal(record.result?.toString(), 'report on 4 bytes');
  assert.ok(events.filter((e) => e.type === 'rescheduled').length >= 1, 'rescheduled on record');
}

test('README: the PHP example, run as written, reschedules its job until the input exists', { timeout: 20000 },
  (t) => runsAsWritten(t, 'php', '<?php\n'));

test('README: the Perl example, run as written, reschedules its job until the input exists', { timeout: 20000 },
  (t) => runsAsWritten(t, 'perl', 'use strict;\nuse warnings;\nuse Gearman::Worker;\n'));
