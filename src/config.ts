/**
 * The server's configuration: one table of options drives the command-line flags, the
 * environment variables (GEARHQ_<NAME>) and the config file (JSON, keys as the long flag names).
 * Precedence: flags over environment over file over defaults. Parsed and validated once here;
 * everything downstream receives a typed, checked `ServerConfig`.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseRetryPolicy, PolicyError, type RetryPolicy } from './engine/retry-policy.js';
import { parseScheduleDef, type ScheduleDef } from './schedule/cron-schedule.js';
import { parseAlertRules, type AlertRule } from './alerts/alert-rule.js';

export const VERBOSE_LEVELS = ['FATAL', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'] as const;
export type VerboseLevel = (typeof VERBOSE_LEVELS)[number];
export const STORES = ['memory', 'sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

export interface ServerConfig {
  port: number;
  /** Address to bind; empty = every interface, as gearmand. */
  listen: string;
  httpPort: number;
  /** Address the HTTP API binds (loopback unless told otherwise: it can change and cancel jobs). */
  httpListen: string;
  /** Bearer token for everything in the HTTP API ('' = no token needed). */
  httpToken: string;
  /** Bearer token for reading only. */
  httpReadToken: string;
  dataDir: string;
  store: StoreKind;
  databaseUrl: string;
  durability: 'fsync' | 'os';
  jobRetries: number;
  workerWakeup: number;
  roundRobin: boolean;
  jobHandlePrefix: string;
  exceptions: boolean;
  verbose: VerboseLevel;
  maxPayload: number;
  /** Foreground payloads and results are stored whole up to this size, else a prefix. */
  maxStoredPayload: number;
  /** WORK_DATA chunks are stored in the job's record (up to maxStoredPayload), not only counted. */
  keepWorkData: boolean;
  maxConnections: number;
  /** How long finished jobs are kept, per end state (ms). */
  keepCompleted: number;
  keepFailed: number;
  keepCancelled: number;
  keepAbandoned: number;
  /** Most finished jobs kept; the oldest are pruned first. 0 = no cap. */
  keepMaxJobs: number;
  /** Per-function keep times (config file only): {"fn": {"completed": "1d"}}. */
  retentionFunctions: Record<string, Partial<Record<'completed' | 'failed' | 'cancelled' | 'abandoned', number>>>;
  /** Retry policy for functions without their own; null = gearmand's behaviour. */
  defaultRetryPolicy: RetryPolicy | null;
  /** Per-function retry policies. */
  retryPolicies: Record<string, RetryPolicy>;
  /** Cron schedules. */
  schedules: ScheduleDef[];
  /** Alert rules (config file); more can be added through the API. */
  alertRules: AlertRule[];
}

type Kind = 'int' | 'string' | 'bool' | 'size' | 'duration' | 'retention' | 'policy' | 'policies' | 'schedules' | 'alertRules';

interface OptionSpec {
  key: keyof ServerConfig;
  /** Long flag name, also the config-file key and (upper-cased) the env suffix. */
  name: string;
  short?: string;
  kind: Kind;
  description: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
}

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'port', name: 'port', short: 'p', kind: 'int', min: 0, max: 65535, description: 'Gearman port (4730)' },
  { key: 'listen', name: 'listen', short: 'L', kind: 'string', description: 'address to bind (default: all interfaces, as gearmand)' },
  { key: 'httpPort', name: 'http-port', kind: 'int', min: 0, max: 65535, description: 'REST API, metrics and dashboard port (4731; 0 = off)' },
  { key: 'httpListen', name: 'http-listen', kind: 'string', description: 'address the HTTP API binds (127.0.0.1)' },
  { key: 'httpToken', name: 'http-token', kind: 'string', description: 'Bearer token the HTTP API requires (full access)' },
  { key: 'httpReadToken', name: 'http-read-token', kind: 'string', description: 'Bearer token for read-only HTTP access' },
  { key: 'dataDir', name: 'data-dir', kind: 'string', description: 'where the SQLite store lives (./gearhq-data)' },
  { key: 'store', name: 'store', kind: 'string', choices: STORES, description: 'job store: memory, sqlite or postgres' },
  { key: 'databaseUrl', name: 'database-url', kind: 'string', description: 'PostgreSQL connection URL for --store postgres' },
  { key: 'durability', name: 'durability', kind: 'string', choices: ['fsync', 'os'], description: 'commit to disk before acknowledging (fsync) or leave it to the OS' },
  { key: 'jobRetries', name: 'job-retries', short: 'j', kind: 'int', min: 0, description: 'as gearmand: attempts in total after worker loss, 0 = unlimited' },
  { key: 'workerWakeup', name: 'worker-wakeup', short: 'w', kind: 'int', min: 0, description: 'as gearmand: workers woken per new job, 0 = all' },
  { key: 'roundRobin', name: 'round-robin', short: 'R', kind: 'bool', description: "as gearmand: rotate a worker's functions" },
  { key: 'jobHandlePrefix', name: 'job-handle-prefix', kind: 'string', description: 'job handle prefix (H:<hostname>)' },
  { key: 'exceptions', name: 'exceptions', kind: 'bool', description: 'as gearmand: exceptions option on for every connection' },
  { key: 'verbose', name: 'verbose', kind: 'string', choices: VERBOSE_LEVELS, description: "log level, gearmand's names (INFO)" },
  { key: 'maxPayload', name: 'max-payload', kind: 'size', min: 0, description: 'largest job payload or result, e.g. 64MiB' },
  { key: 'maxStoredPayload', name: 'max-stored-payload', kind: 'size', min: 0, description: 'payloads/results kept whole in job history up to this size (1MiB)' },
  { key: 'keepWorkData', name: 'keep-work-data', kind: 'bool', description: "store WORK_DATA in the job's record (up to --max-stored-payload), not only count it" },
  { key: 'keepCompleted', name: 'keep-completed', kind: 'duration', description: 'keep completed jobs this long (7d)' },
  { key: 'keepFailed', name: 'keep-failed', kind: 'duration', description: 'keep failed jobs this long (30d)' },
  { key: 'keepCancelled', name: 'keep-cancelled', kind: 'duration', description: 'keep cancelled jobs this long (7d)' },
  { key: 'keepAbandoned', name: 'keep-abandoned', kind: 'duration', description: 'keep abandoned jobs this long (7d)' },
  { key: 'keepMaxJobs', name: 'keep-max-jobs', kind: 'int', min: 0, description: 'most finished jobs kept, oldest pruned first (1000000; 0 = no cap)' },
  { key: 'retentionFunctions', name: 'retention-functions', kind: 'retention', description: 'config file only: per-function keep times, {"fn": {"completed": "1d"}}' },
  { key: 'defaultRetryPolicy', name: 'default-retry-policy', kind: 'policy', description: 'JSON retry policy for every function without its own, e.g. {"maxAttempts":3}' },
  { key: 'retryPolicies', name: 'retry-policies', kind: 'policies', description: 'config file: retry policies per function, {"fn": {"maxAttempts": 5, "backoff": {...}}}' },
  { key: 'schedules', name: 'schedules', kind: 'schedules', description: 'config file: cron schedules, [{"name", "cron", "timezone", "function", "payload", ...}]' },
  { key: 'alertRules', name: 'alert-rules', kind: 'alertRules', description: 'config file: alert rules, [{"name", "metric", "op", "threshold", "forSeconds", "notify": [...]}]' },
  { key: 'maxConnections', name: 'max-connections', kind: 'int', min: 1, description: 'most concurrent Gearman connections (10000)' },
];

const DAY = 24 * 3600 * 1000;

export function defaultConfig(): ServerConfig {
  return {
    port: 4730,
    listen: '',
    httpPort: 4731,
    httpListen: '127.0.0.1',
    httpToken: '',
    httpReadToken: '',
    dataDir: './gearhq-data',
    store: 'sqlite',
    databaseUrl: '',
    durability: 'fsync',
    jobRetries: 0,
    workerWakeup: 0,
    roundRobin: false,
    jobHandlePrefix: `H:${hostname()}`,
    exceptions: false,
    verbose: 'INFO',
    maxPayload: 64 * 1024 * 1024,
    maxStoredPayload: 1024 * 1024,
    keepWorkData: false,
    maxConnections: 10000,
    keepCompleted: 7 * DAY,
    keepFailed: 30 * DAY,
    keepCancelled: 7 * DAY,
    keepAbandoned: 7 * DAY,
    keepMaxJobs: 1_000_000,
    retentionFunctions: {},
    defaultRetryPolicy: null,
    retryPolicies: {},
    schedules: [],
    alertRules: [],
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses `7d`, `12h`, `30m`, `90s`, `250ms` (a bare number is seconds) into ms. */
export function parseDuration(text: string, where = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (!m) throw new ConfigError(`${where}: not a duration: ${JSON.stringify(text)} (try 90s, 30m, 12h or 7d)`);
  const unit = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 }[(m[2] ?? 's').toLowerCase() as 's'];
  return Math.round(Number(m[1]) * unit);
}

/** Parses `64MiB`, `512k`, `1048576` into bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new ConfigError(`not a size: ${JSON.stringify(text)} (try 1048576, 512KiB or 64MiB)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * mult);
}

/** Structured options arrive as objects from the config file and as JSON text from env or flags. */
function jsonOf(raw: unknown, where: string): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(`${where}: expected JSON`);
  }
}

function coerce(spec: OptionSpec, raw: unknown, source: string): unknown {
  const where = source === 'option' ? `--${spec.name}` : `${source} ${spec.name}`;
  switch (spec.kind) {
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes' || raw === '') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      throw new ConfigError(`${where}: expected true or false, got ${JSON.stringify(raw)}`);
    case 'int': {
      const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw).trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) throw new ConfigError(`${where}: expected an integer, got ${JSON.stringify(raw)}`);
      if (spec.min !== undefined && n < spec.min) throw new ConfigError(`${where}: must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw new ConfigError(`${where}: must be at most ${spec.max}`);
      return n;
    }
    case 'size': {
      const n = typeof raw === 'number' ? raw : parseSize(String(raw));
      if (!Number.isInteger(n) || (spec.min !== undefined && n < spec.min)) {
        throw new ConfigError(`${where}: expected a size of at least ${spec.min ?? 0} bytes, got ${JSON.stringify(raw)}`);
      }
      return n;
    }
    case 'duration':
      return typeof raw === 'number' ? raw : parseDuration(String(raw), where);
    case 'policy':
    case 'policies': {
      const value = jsonOf(raw, where);
      try {
        if (spec.kind === 'policy') return value === null ? null : parseRetryPolicy(value, where);
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw new PolicyError(`${where}: expected an object of policies by function name`);
        }
        return Object.fromEntries(Object.entries(value).map(([fn, p]) => [fn, parseRetryPolicy(p, `${where}.${fn}`)]));
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
    }
    case 'schedules': {
      const value = jsonOf(raw, where);
      if (!Array.isArray(value)) throw new ConfigError(`${where}: expected a list of schedules`);
      try {
        const defs = value.map((d, i) => parseScheduleDef(d, `${where}[${i}]`));
        const names = new Set<string>();
        for (const d of defs) {
          if (names.has(d.name)) throw new ConfigError(`${where}: two schedules are named ${JSON.stringify(d.name)}`);
          names.add(d.name);
        }
        return defs;
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
    }
    case 'alertRules':
      try {
        return parseAlertRules(jsonOf(raw, where), where);
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
    case 'retention': {
      raw = jsonOf(raw, where);
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new ConfigError(`${where}: expected an object like {"fn": {"completed": "1d"}}`);
      }
      const out: ServerConfig['retentionFunctions'] = {};
      for (const [fn, rules] of Object.entries(raw as Record<string, unknown>)) {
        if (rules === null || typeof rules !== 'object') throw new ConfigError(`${where}.${fn}: expected an object`);
        out[fn] = {};
        for (const [state, v] of Object.entries(rules as Record<string, unknown>)) {
          if (!['completed', 'failed', 'cancelled', 'abandoned'].includes(state)) {
            throw new ConfigError(`${where}.${fn}: unknown state ${JSON.stringify(state)}`);
          }
          out[fn]![state as 'completed'] = typeof v === 'number' ? v : parseDuration(String(v), `${where}.${fn}.${state}`);
        }
      }
      return out;
    }
    case 'string': {
      let s = String(raw);
      if (spec.choices) {
        const match = spec.choices.find((c) => c.toLowerCase() === s.toLowerCase());
        if (match === undefined) {
          throw new ConfigError(`${where}: expected one of ${spec.choices.join(', ')}, got ${JSON.stringify(raw)}`);
        }
        s = match;
      }
      return s;
    }
  }
}

/**
 * Builds the configuration from a config file (if given), the environment and parsed flags
 * (keyed by long flag name; undefined = not given).
 */
export function loadConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env,
  configFile?: string): ServerConfig {
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const file = configFile ?? env.GEARHQ_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${file}: expected a JSON object`);
    }
    for (const [k, v] of Object.entries(parsed)) {
      const spec = OPTIONS.find((o) => o.name === k || o.key === k);
      if (spec === undefined) throw new ConfigError(`config file ${file}: unknown option ${JSON.stringify(k)}`);
      config[spec.key] = coerce(spec, v, `config file ${file}:`);
    }
  }
  for (const spec of OPTIONS) {
    const v = env[`GEARHQ_${spec.name.toUpperCase().replace(/-/g, '_')}`];
    if (v !== undefined && v !== '') config[spec.key] = coerce(spec, v, 'environment');
  }
  for (const spec of OPTIONS) {
    const v = flags[spec.key];
    if (v !== undefined) config[spec.key] = coerce(spec, v, 'option');
  }
  const c = config as unknown as ServerConfig;
  if (c.jobHandlePrefix.length === 0 || c.jobHandlePrefix.length > 40) {
    throw new ConfigError('job-handle-prefix must be 1 to 40 bytes (handles are at most 63)');
  }
  if (c.store === 'postgres' && !c.databaseUrl) throw new ConfigError('--store postgres needs --database-url');
  return c;
}
