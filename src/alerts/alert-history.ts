/**
 * Alert history across restarts: each rule's recent transitions are kept as a setting
 * (`alert-history:<rule>`), rewritten whenever the rule's alert changes state. Changes are rare
 * (a rule moves at most once per evaluation), so a small JSON write each time costs nothing worth
 * batching. At start the evaluator reads them back (restoreRules).
 */
import type { Logger } from 'pino';
import type { AlertEvaluator } from './alert-evaluator.js';
import type { AlertState, AlertTransition } from './notifiers.js';

export const HISTORY_KEY_PREFIX = 'alert-history:';
const STATES: readonly AlertState[] = ['inactive', 'pending', 'firing', 'resolved'];

export const historyKey = (rule: string): string => `${HISTORY_KEY_PREFIX}${rule}`;

/** Stored transitions, or null when the value is not a list of them (then it is ignored). */
export function parseStoredHistory(rule: string, value: string): AlertTransition[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const out: AlertTransition[] = [];
  for (const t of parsed as Record<string, unknown>[]) {
    if (typeof t !== 'object' || t === null || typeof t.at !== 'number'
      || !STATES.includes(t.from as AlertState) || !STATES.includes(t.to as AlertState)
      || (t.value !== null && typeof t.value !== 'number')) return null;
    out.push({ rule, from: t.from as AlertState, to: t.to as AlertState, at: t.at, value: t.value as number | null });
  }
  return out;
}

interface SettingsStore {
  putSetting(key: string, value: string | null): Promise<void>;
}

/** Writes each rule's history on every change, in order; returns the unsubscribe function. */
export function persistAlertHistory(alerts: AlertEvaluator, store: SettingsStore, log: Logger): () => void {
  let chain: Promise<void> = Promise.resolve();
  return alerts.onChange((alert) => {
    const value = JSON.stringify(alert.history.map(({ from, to, at, value: v }) => ({ from, to, at, value: v })));
    // Not for a rule replaced or removed meanwhile: its history was cleared with it.
    chain = chain.then(() => (alerts.get(alert.rule.name) === alert ? store.putSetting(historyKey(alert.rule.name), value) : undefined))
      .catch((err: Error) => log.warn({ err, rule: alert.rule.name }, 'alert history: could not store it'));
  });
}
