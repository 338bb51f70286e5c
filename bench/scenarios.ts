// The benchmark scenarios: what the generator is asked to do, and the target each must meet.

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
  },
  {
    id: 'drain',
    kind: 'drain',
    description: '100k queued background jobs (100 B) drained by 4 worker threads returning at once',
    jobs: 100000,
    args: ['--conns', '4', '--batch', '100', '--workers', '4', '--payload', '100'],
    throughputTarget: 1.0,
    p99Target: null,
  },
  {
    id: 'fg-echo-100B',
    kind: 'fg-echo',
    description: '20k foreground round trips, 16 client threads, 4 echo workers, 100 B payload; latency per job',
    jobs: 20000,
    args: ['--clients', '16', '--workers', '4', '--payload', '100'],
    throughputTarget: 0.9,
    p99Target: 1.5,
  },
  {
    id: 'fg-echo-10KiB',
    kind: 'fg-echo',
    description: '20k foreground round trips, 16 client threads, 4 echo workers, 10 KiB payload; latency per job',
    jobs: 20000,
    args: ['--clients', '16', '--workers', '4', '--payload', '10240'],
    throughputTarget: 0.9,
    p99Target: 1.5,
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
