// The benchmark scenarios: what the generator is asked to do, and the target each must meet.
import type { ServerName } from './servers.js';

export interface Scenario {
  /** Row name, also accepted by --scenario. */
  id: string;
  /** The generator scenario it runs. */
  kind: 'bg-submit' | 'drain' | 'fg-echo';
  description: string;
  jobs: number;
  /** Extra generator arguments (besides --scenario, --jobs, --port, --fn, --server-pid). */
  args: string[];
  /** gearhq jobs/s must be at least this multiple of gearmand's. */
  throughputTarget: number;
  /** gearhq p99 must be at most this multiple of gearmand's (null: latency not compared). */
  p99Target: number | null;
  /** gearhq-sqlite (durable, fsync) jobs/s must be at least this multiple of gearmand's in memory. */
  durableThroughputTarget: number;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'bg-submit',
    kind: 'bg-submit',
    description: '100k background jobs (100 B), 4 connections, pipelined batches of 100; latency per batch',
    jobs: 100000,
    args: ['--conns', '4', '--batch', '100', '--payload', '100'],
    throughputTarget: 1.5,
    p99Target: 1.5,
    durableThroughputTarget: 0.8,
  },
  {
    id: 'drain',
    kind: 'drain',
    description: '100k queued background jobs (100 B) drained by 4 worker threads returning at once',
    jobs: 100000,
    args: ['--conns', '4', '--batch', '100', '--workers', '4', '--payload', '100'],
    throughputTarget: 1.0,
    p99Target: null,
    durableThroughputTarget: 0.8,
  },
  {
    id: 'fg-echo-100B',
    kind: 'fg-echo',
    description: '20k foreground round trips, 16 client threads, 4 echo workers, 100 B payload; latency per job',
    jobs: 20000,
    args: ['--clients', '16', '--workers', '4', '--payload', '100'],
    throughputTarget: 0.9,
    p99Target: 1.5,
    durableThroughputTarget: 0.7,
  },
  {
    id: 'fg-echo-10KiB',
    kind: 'fg-echo',
    description: '20k foreground round trips, 16 client threads, 4 echo workers, 10 KiB payload; latency per job',
    jobs: 20000,
    args: ['--clients', '16', '--workers', '4', '--payload', '10240'],
    throughputTarget: 0.9,
    p99Target: 1.5,
    durableThroughputTarget: 0.7,
  },
];

/** Scenarios picked by --scenario: an exact id, or a generator kind (fg-echo picks both payloads). */
export function selectScenarios(names: string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  const picked = SCENARIOS.filter((s) => names.includes(s.id) || names.includes(s.kind));
  const known = new Set(SCENARIOS.flatMap((s) => [s.id, s.kind]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  }
  return picked;
}

export interface Target {
  /** jobs/s at least this multiple of gearmand's (in memory). */
  throughput: number;
  /** p99 at most this multiple of gearmand's, or null when not a target. */
  p99: number | null;
}

/**
 * The targets of a server in a scenario, all against gearmand in memory: gearhq in memory has the
 * protocol-core targets, gearhq on SQLite with fsync the durable ones; the others are only measured.
 */
export function targetFor(scenario: Scenario, server: ServerName): Target | null {
  if (server === 'gearhq') return { throughput: scenario.throughputTarget, p99: scenario.p99Target };
  if (server === 'gearhq-sqlite') return { throughput: scenario.durableThroughputTarget, p99: null };
  return null;
}

/**
 * Job-count factors per server and generator kind, on top of --scale. gearmand's SQLite queue
 * writes every background job in its own transaction (about 1–1.5k jobs/s here), so 100k-job
 * background runs would take minutes each; it runs a tenth of them. Foreground jobs never touch
 * its queue, so fg-echo runs in full.
 */
export const DEFAULT_SERVER_SCALES: Readonly<Record<string, number>> = {
  'gearmand-sqlite:bg-submit': 0.1,
  'gearmand-sqlite:drain': 0.1,
};

/** The factor for `server` running generator kind `kind`: "SERVER:KIND", else "SERVER", else 1. */
export function serverScale(scales: Readonly<Record<string, number>>, server: ServerName, kind: string): number {
  return scales[`${server}:${kind}`] ?? scales[server] ?? 1;
}
