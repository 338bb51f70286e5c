// Facts about the machine, and waiting for other processes to leave it alone.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

let ticksPerSecond = 0;
/** USER_HZ, the unit of /proc CPU times. */
export function clockTicks(): number {
  if (!ticksPerSecond) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // USER_HZ on every mainstream Linux build
    }
  }
  return ticksPerSecond;
}

/** Busy CPU seconds of the whole machine since boot (all cores; user+nice+system+irq+softirq+steal). */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicks();
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the machine's busy time over a `sampleMs` interval is below `maxCores`, for at most
 * `maxWaitMs`. Call it while nothing of ours is running, so all busy time belongs to others.
 * Returns the last sampled load in cores and how long it waited.
 */
export async function waitForQuiet(maxCores: number, maxWaitMs: number, sampleMs = 500): Promise<{ cores: number | null; waitedMs: number }> {
  const start = Date.now();
  let cores: number | null = null;
  for (;;) {
    const a = machineBusySeconds();
    await sleep(sampleMs);
    const b = machineBusySeconds();
    if (a === null || b === null) return { cores: null, waitedMs: Date.now() - start };
    cores = (b - a) / (sampleMs / 1000);
    if (cores < maxCores || Date.now() - start >= maxWaitMs) return { cores, waitedMs: Date.now() - start };
  }
}

export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1]!.trim() : (os.cpus()[0]?.model ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

export const loadAverage = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
