import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, OPTIONS, defaultConfig, loadConfig, parseSize } from '../src/config.js';

/** A temp directory with a config file holding `content`; removed by the returned cleanup. */
function setup(content?: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-config-'));
  const file = join(dir, 'gearhq.json');
  if (content !== undefined) writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { file, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function throwsConfig(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.name, 'ConfigError');
    assert.match(e.message, message);
    return true;
  });
}

test('config: defaults when nothing is given', () => {
  const c = loadConfig({}, {});
  const d = defaultConfig();
  assert.deepEqual(c, d);
  assert.equal(c.port, 4730);
  assert.equal(c.jobRetries, 0);
  assert.equal(c.workerWakeup, 0);
  assert.equal(c.roundRobin, false);
  assert.equal(c.maxPayload, 64 * 1024 * 1024);
  assert.match(c.jobHandlePrefix, /^H:/);
});

test('config: precedence is flags > env > file > defaults, option by option', () => {
  const { file, cleanup } = setup({ port: 1111, 'job-retries': 3, 'worker-wakeup': 2, verbose: 'DEBUG' });
  try {
    const fileOnly = loadConfig({}, {}, file);
    assert.deepEqual([fileOnly.port, fileOnly.jobRetries, fileOnly.workerWakeup, fileOnly.verbose], [1111, 3, 2, 'DEBUG']);

    const env = { GEARHQ_PORT: '2222', GEARHQ_JOB_RETRIES: '4' };
    const fileEnv = loadConfig({}, env, file);
    assert.deepEqual([fileEnv.port, fileEnv.jobRetries, fileEnv.workerWakeup, fileEnv.verbose], [2222, 4, 2, 'DEBUG']);

    const all = loadConfig({ port: '3333' }, env, file);
    assert.deepEqual([all.port, all.jobRetries, all.workerWakeup, all.verbose], [3333, 4, 2, 'DEBUG']);
    assert.equal(all.httpPort, 4731, 'untouched options keep their defaults');
  } finally {
    cleanup();
  }
});

test('config: the file can come from GEARHQ_CONFIG; an explicit path wins', () => {
  const a = setup({ port: 1000 });
  const b = setup({ port: 2000 });
  try {
    assert.equal(loadConfig({}, { GEARHQ_CONFIG: a.file }).port, 1000);
    assert.equal(loadConfig({}, { GEARHQ_CONFIG: a.file }, b.file).port, 2000);
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('config: file keys may be long flag names or camelCase keys', () => {
  const { file, cleanup } = setup({ 'http-port': 8080, jobHandlePrefix: 'TEST', 'round-robin': true });
  try {
    const c = loadConfig({}, {}, file);
    assert.equal(c.httpPort, 8080);
    assert.equal(c.jobHandlePrefix, 'TEST');
    assert.equal(c.roundRobin, true);
  } finally {
    cleanup();
  }
});

test('config: the environment variables GEARHQ_<NAME> set their options', () => {
  const c = loadConfig({}, {
    GEARHQ_PORT: '1', GEARHQ_LISTEN: '127.0.0.1', GEARHQ_HTTP_PORT: '0', GEARHQ_DATA_DIR: '/tmp/x',
    GEARHQ_STORE: 'SQLite', GEARHQ_DURABILITY: 'os', GEARHQ_JOB_RETRIES: '2', GEARHQ_WORKER_WAKEUP: '1',
    GEARHQ_ROUND_ROBIN: 'yes', GEARHQ_JOB_HANDLE_PREFIX: 'P', GEARHQ_EXCEPTIONS: '1', GEARHQ_VERBOSE: 'debug',
    GEARHQ_MAX_PAYLOAD: '1MiB', GEARHQ_MAX_CONNECTIONS: '5', GEARHQ_DATABASE_URL: 'postgres://db',
  });
  const expected = {
    port: 1, listen: '127.0.0.1', httpPort: 0, dataDir: '/tmp/x', store: 'sqlite', databaseUrl: 'postgres://db',
    durability: 'os', jobRetries: 2, workerWakeup: 1, roundRobin: true, jobHandlePrefix: 'P', exceptions: true,
    verbose: 'DEBUG', maxPayload: 1024 * 1024, maxConnections: 5,
  };
  for (const [k, v] of Object.entries(expected)) assert.equal(c[k as keyof typeof c], v, k);
});

test('config: every option in the table is reachable through its environment variable', () => {
  const d = defaultConfig() as unknown as Record<string, unknown>;
  for (const spec of OPTIONS) {
    const env = `GEARHQ_${spec.name.toUpperCase().replace(/-/g, '_')}`;
    // A valid value different from the default, per kind.
    const value = spec.choices ? spec.choices.find((x) => x !== d[spec.key])!
      : spec.kind === 'bool' ? String(!d[spec.key])
      : spec.kind === 'int' || spec.kind === 'size' ? String(Number(d[spec.key]) === 7 ? 8 : 7)
      : spec.kind === 'duration' ? '3h'
      : spec.kind === 'retention' ? '{"f": {"completed": "1h"}}'
      : spec.kind === 'policy' ? '{"maxAttempts": 3}'
      : spec.kind === 'policies' ? '{"f": {"maxAttempts": 2}}'
      : spec.kind === 'schedules' ? '[{"name": "s", "cron": "* * * * *", "function": "f"}]'
      : spec.kind === 'alertRules' ? '[{"name": "a", "metric": "queue_depth", "op": ">", "threshold": 1, "forSeconds": 0}]'
      : 'v7';
    const flags = spec.key === 'store' && value === 'postgres' ? { databaseUrl: 'postgres://x' } : {};
    const got = (loadConfig(flags, { [env]: value }) as unknown as Record<string, unknown>)[spec.key];
    assert.notDeepEqual(got, d[spec.key], `${env}=${value} changed ${spec.key}`);
  }
});

test('config: an empty environment variable counts as not set', () => {
  assert.equal(loadConfig({}, { GEARHQ_PORT: '' }).port, 4730);
});

test('config: booleans accept true/false, 1/0, yes/no and a bare flag', () => {
  for (const [v, want] of [['true', true], ['1', true], ['yes', true], ['', true], [true, true],
    ['false', false], ['0', false], ['no', false], [false, false]] as const) {
    assert.equal(loadConfig({ roundRobin: v }, {}).roundRobin, want, JSON.stringify(v));
  }
  throwsConfig(() => loadConfig({}, { GEARHQ_EXCEPTIONS: 'maybe' }), /environment exceptions: expected true or false, got "maybe"/);
});

test('config: bad values give a ConfigError naming the source, the option and the value', () => {
  throwsConfig(() => loadConfig({ port: 'abc' }, {}), /port: expected an integer, got "abc"/);
  throwsConfig(() => loadConfig({ port: '70000' }, {}), /port: must be at most 65535/);
  throwsConfig(() => loadConfig({}, { GEARHQ_JOB_RETRIES: '-1' }), /environment job-retries: must be at least 0/);
  throwsConfig(() => loadConfig({}, { GEARHQ_WORKER_WAKEUP: '1.5' }), /worker-wakeup: expected an integer, got "1.5"/);
  throwsConfig(() => loadConfig({ maxConnections: '0' }, {}), /max-connections: must be at least 1/);
  throwsConfig(() => loadConfig({ verbose: 'LOUD' }, {}), /verbose: expected one of FATAL, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG, got "LOUD"/);
  throwsConfig(() => loadConfig({ store: 'mysql' }, {}), /store: expected one of memory, sqlite, postgres/);
  throwsConfig(() => loadConfig({ maxPayload: 'lots' }, {}), /not a size: "lots"/);
});

test('config: a bad flag value names the flag as it is typed (--port)', () => {
  throwsConfig(() => loadConfig({ port: 'abc' }, {}), /--port: expected an integer, got "abc"/);
});

test('config: file errors name the file: unreadable, not JSON, not an object, unknown key, bad value', () => {
  const missing = join(tmpdir(), 'gearhq-no-such-dir', 'none.json');
  throwsConfig(() => loadConfig({}, {}, missing), /cannot read config file .*none\.json/);
  for (const [content, message] of [
    ['{ not json', /cannot read config file/],
    ['[1, 2]', /expected a JSON object/],
    ['null', /expected a JSON object/],
    [{ prot: 1 }, /unknown option "prot"/],
    [{ port: 'x' }, /port: expected an integer, got "x"/],
    [{ port: 1.5 }, /port: expected an integer, got 1.5/],
  ] as const) {
    const { file, cleanup } = setup(content);
    try {
      throwsConfig(() => loadConfig({}, {}, file), message);
      throwsConfig(() => loadConfig({}, {}, file), new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    } finally {
      cleanup();
    }
  }
});

test('config: cross-option checks', () => {
  throwsConfig(() => loadConfig({ store: 'postgres' }, {}), /--store postgres needs --database-url/);
  assert.equal(loadConfig({ store: 'postgres', databaseUrl: 'postgres://x' }, {}).store, 'postgres');
  throwsConfig(() => loadConfig({ jobHandlePrefix: '' }, {}), /job-handle-prefix must be 1 to 40 bytes/);
  throwsConfig(() => loadConfig({ jobHandlePrefix: 'x'.repeat(41) }, {}), /job-handle-prefix/);
  assert.equal(loadConfig({ jobHandlePrefix: 'x'.repeat(40) }, {}).jobHandlePrefix.length, 40);
});

test('config: sizes in a file may be numbers or strings', () => {
  const { file, cleanup } = setup({ 'max-payload': '8MiB' });
  try {
    assert.equal(loadConfig({}, {}, file).maxPayload, 8 * 1024 * 1024);
    assert.equal(loadConfig({ maxPayload: 4096 }, {}, file).maxPayload, 4096);
  } finally {
    cleanup();
  }
});

test('config: a negative size is refused wherever it comes from', () => {
  const { file, cleanup } = setup({ 'max-payload': -1 });
  try {
    throwsConfig(() => loadConfig({}, {}, file), /max-payload/);
  } finally {
    cleanup();
  }
  throwsConfig(() => loadConfig({ maxPayload: '-1' }, {}), /max-payload|not a size/);
});

test('parseSize: plain bytes and binary units, case-insensitive', () => {
  const table: [string, number][] = [
    ['1048576', 1048576], ['0', 0], ['64MiB', 64 * 1024 ** 2], ['64mib', 64 * 1024 ** 2], ['64MB', 64 * 1024 ** 2],
    ['64M', 64 * 1024 ** 2], ['512k', 512 * 1024], ['512KiB', 512 * 1024], ['1G', 1024 ** 3], ['1GiB', 1024 ** 3],
    ['100B', 100], [' 2 MiB ', 2 * 1024 ** 2], ['1.5KiB', 1536], ['0.5M', 512 * 1024],
  ];
  for (const [text, bytes] of table) assert.equal(parseSize(text), bytes, text);
});

test('parseSize: anything else is a ConfigError with a hint', () => {
  for (const text of ['', 'MiB', 'lots', '-1', '1TiB', '1e6', '64 Mi B', '0x10']) {
    throwsConfig(() => parseSize(text), /not a size: .*\(try 1048576, 512KiB or 64MiB\)/);
  }
});
