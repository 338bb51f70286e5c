/**
 * The composition root: configuration → store → engine → listeners. The CLI and the tests build
 * servers only through `startServer`, so both run the same wiring.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import type { ServerConfig, VerboseLevel } from './config.js';
import { AlertEvaluator } from './alerts/alert-evaluator.js';
import { persistAlertHistory } from './alerts/alert-history.js';
import { AlertNotifier } from './alerts/notifiers.js';
import { systemClock, type Clock } from './engine/clock.js';
import { Engine } from './engine/engine.js';
import type { FastifyInstance } from 'fastify';
import { parseRetryPolicy } from './engine/retry-policy.js';
import type { HttpDeps } from './http/http-server.js';
import { parseScheduleDef, type ScheduleDef } from './schedule/cron-schedule.js';
import { GearmanServer } from './server/gearman-server.js';
import { RollupWriter } from './stats/rollup-writer.js';
import { StatsEngine } from './stats/stats-engine.js';
import { Scheduler } from './schedule/scheduler.js';
import { Journal } from './store/journal.js';
import { createStore } from './store/open-store.js';
import { recoverJobs } from './store/recovery.js';
import { RetentionPruner, ROLLUP_KEEP_MS } from './store/retention-pruner.js';
import type { RetentionRules } from './store/store.js';
import type { Store } from './store/store.js';

export const VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
})();

/** gearmand's level names on pino's levels. */
const PINO_LEVEL: Record<VerboseLevel, string> = {
  FATAL: 'fatal', ALERT: 'fatal', CRITICAL: 'fatal', ERROR: 'error',
  WARNING: 'warn', NOTICE: 'info', INFO: 'info', DEBUG: 'debug',
};

export interface RunningApp {
  config: ServerConfig;
  scheduler: Scheduler;
  journal: Journal | null;
  engine: Engine;
  store: Store;
  gearman: GearmanServer;
  log: Logger;
  /** What the HTTP API is built from; tests build their own instance with it and use `inject()`. */
  httpDeps: HttpDeps;
  /** Graceful: stop accepting, let running jobs finish (up to `graceMs`), then close. */
  stop(graceMs?: number): Promise<void>;
  /** Immediate: drop every connection and close. */
  kill(): Promise<void>;
}

export function createLogger(level: VerboseLevel): Logger {
  return pino({ level: PINO_LEVEL[level], base: { pid: process.pid } });
}

/**
 * Applies settings changed through the API at run time (retry policies, pauses) to the engine,
 * and returns the schedules to run: the config file's (which win over stored ones of the same
 * name) plus those made through the API, with stored pauses applied. The config's own schedule
 * objects are copied, never changed.
 */
function applyStoredSettings(engine: Engine, config: ServerConfig, settings: Record<string, string>,
  log: Logger): ScheduleDef[] {
  const fromConfig = new Set(config.schedules.map((s) => s.name));
  const schedules = config.schedules.map((s) => ({ ...s }));
  for (const [key, value] of Object.entries(settings)) {
    const [kind, name] = splitKey(key);
    try {
      if (kind === 'policy') engine.setPolicy(name, parseRetryPolicy(JSON.parse(value), key));
      else if (kind === 'paused') { engine.fn(name); engine.pause(name); }
      else if (kind === 'schedule' && !fromConfig.has(name)) schedules.push(parseScheduleDef(JSON.parse(value), key));
    } catch (e) {
      log.warn({ key, err: e }, 'ignoring a stored setting that no longer parses');
    }
  }
  for (const s of schedules) if (settings[`schedule-enabled:${s.name}`] === 'false') s.enabled = false;
  return schedules;
}

/** `policy:fn` → ['policy', 'fn'] (function names may contain ':'). */
function splitKey(key: string): [string, string] {
  const i = key.indexOf(':');
  return i < 0 ? [key, ''] : [key.slice(0, i), key.slice(i + 1)];
}

export function retentionRules(config: ServerConfig): RetentionRules {
  return {
    keepMs: {
      completed: config.keepCompleted, failed: config.keepFailed,
      cancelled: config.keepCancelled, abandoned: config.keepAbandoned,
    },
    byFunction: config.retentionFunctions,
    maxFinishedJobs: config.keepMaxJobs,
  };
}

/** The event loop's lateness is sampled with a timer of this period. */
const LOOP_SAMPLE_MS = 5;

/**
 * How late the loop ran the sampling timer, in ms, from one of its histogram's values: those are
 * the times between the timer's runs (nanoseconds), the period included.
 */
export function loopLatenessMs(intervalNs: number): number {
  return Math.max(0, Math.round((intervalNs / 1e6 - LOOP_SAMPLE_MS) * 100) / 100);
}

export async function startServer(config: ServerConfig, deps: { clock?: Clock; log?: Logger } = {}): Promise<RunningApp> {
  const log = deps.log ?? createLogger(config.verbose);
  // The longest event-loop stall is the server's worst added latency; it is logged at stop. It is
  // measured from the moment the port opens (start-up work, such as creating a new SQLite file,
  // delays no peer).
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  const loopReport = () => ({
    loopDelayP99Ms: loopLatenessMs(loopDelay.percentile(99)),
    loopDelayMaxMs: loopLatenessMs(loopDelay.max),
  });
  const store = createStore(config, log);
  await store.open();
  const engine = new Engine({
    clock: deps.clock ?? systemClock,
    handlePrefix: config.jobHandlePrefix,
    jobRetries: config.jobRetries,
    workerWakeup: config.workerWakeup,
    roundRobin: config.roundRobin,
    maxFunctionBytes: 512,
    maxUniqueBytes: 64,
    maxPayloadBytes: config.maxPayload,
    firstHandle: await store.nextHandleNumber(),
    defaultPolicy: config.defaultRetryPolicy,
  });
  for (const [fn, policy] of Object.entries(config.retryPolicies)) engine.setPolicy(fn, policy);
  let journal: Journal | null = null;
  let pruner: RetentionPruner | null = null;
  if (store.capabilities.durable) {
    const report = await recoverJobs(engine, store);
    log.info(report, 'recovered jobs from the store');
    journal = new Journal(engine, store, log, {
      maxStoredBytes: config.maxStoredPayload,
      keepWorkData: config.keepWorkData,
      lazyCommitMs: 10,
      maxBatchJobs: 5000,
    });
    pruner = new RetentionPruner(store, engine.clock, log, {
      rules: retentionRules(config), intervalMs: 5000, chunk: 2000, rollupKeepMs: ROLLUP_KEEP_MS,
    });
    pruner.start();
  }
  const settings = await store.loadSettings();
  const configSchedules = new Set(config.schedules.map((s) => s.name));
  const schedules = applyStoredSettings(engine, config, settings, log);
  // Metrics, stats and alerts are read over HTTP: with the port off none of them runs, and the
  // HTTP stack (Fastify, prom-client) is not even loaded — its heap makes every garbage
  // collection of the Gearman hot path dearer (fg 10 KiB jobs: about +40% CPU measured).
  const observed = config.httpPort > 0;
  const storeBacklog = journal !== null ? journal.backlog.bind(journal) : null;
  const metrics = observed
    ? new (await import('./stats/metrics.js')).Metrics(engine, () => gearman.connectionCount, storeBacklog,
      store.diskUsage !== undefined ? () => store.diskUsage!() : null) : null;
  const stats = observed ? new StatsEngine(engine) : null;
  stats?.start();
  const rollups = stats !== null ? new RollupWriter(stats, store, engine.clock, log) : null;
  rollups?.start();
  const alerts = observed ? new AlertEvaluator({
    stats,
    storeFailing: () => journal !== null && journal.lastError !== null,
    clock: engine.clock, log, notifier: new AlertNotifier(log),
  }) : null;
  alerts?.restoreRules(config.alertRules, settings);
  const unpersistAlertHistory = alerts !== null ? persistAlertHistory(alerts, store, log) : null;
  alerts?.start();
  const scheduler = new Scheduler(engine, journal, log);
  scheduler.start(schedules, await store.lastFirings());
  const gearman = new GearmanServer({
    engine, log,
    port: config.port,
    host: config.listen,
    maxPayload: config.maxPayload,
    maxConnections: config.maxConnections,
    exceptions: config.exceptions,
    version: `${VERSION} (gearhq)`,
    verboseLevel: config.verbose,
    journal,
  });
  const httpDeps: HttpDeps = {
    tokens: { full: config.httpToken, read: config.httpReadToken },
    engine, store, journal, scheduler, log, version: VERSION, previewBytes: 64 * 1024, configSchedules, metrics, alerts, stats,
  };
  let http: FastifyInstance | null = null;
  if (observed) {
    http = (await import('./http/http-server.js')).buildHttpServer(httpDeps);
    await http.listen({ port: config.httpPort, host: config.httpListen });
    log.info({ port: config.httpPort, listen: config.httpListen }, 'HTTP API listening');
  }
  // The Gearman port opens last: when it answers, everything else (the HTTP API too) is ready.
  await gearman.listen();
  loopDelay.enable();
  log.info({ port: gearman.port, listen: config.listen || '*', store: store.name, version: VERSION },
    'gearhq listening');

  let stopped: Promise<void> | null = null;
  /** After the connections are gone: services, the last journal batch, the store. */
  const closeDown = async (): Promise<void> => {
    // Lateness while connections were served: closing the store afterwards (SQLite folds its WAL
    // into the file, tens of ms) delays nobody.
    loopDelay.disable();
    const lateness = loopReport();
    await http?.close();
    alerts?.stop();
    unpersistAlertHistory?.();
    await rollups?.stop();
    stats?.stop();
    scheduler.stop();
    await pruner?.stop();
    await journal?.drain();
    journal?.stop();
    await store.close();
    log.info(lateness, 'gearhq stopped');
  };
  const app: RunningApp = {
    config, engine, store, gearman, log, journal, scheduler, httpDeps,
    stop(graceMs = 10000) {
      stopped ??= (async () => {
        gearman.stopListening();
        const deadline = Date.now() + graceMs;
        while (Date.now() < deadline && [...engine.functions.values()].some((f) => f.running > 0)) {
          await new Promise((r) => setTimeout(r, 50));
        }
        gearman.disconnectAll();
        await closeDown();
      })();
      return stopped;
    },
    kill() {
      // Also cuts a graceful stop in progress short.
      gearman.stopListening();
      gearman.disconnectAll();
      stopped ??= closeDown();
      return stopped;
    },
  };
  return app;
}
