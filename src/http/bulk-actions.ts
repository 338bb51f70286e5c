/**
 * The actions a bulk operation can take and the job states each applies to. Kept apart from the
 * runner (bulk-operations.ts) so that route schemas can use them while modules load: the runner
 * sits in an import cycle with the HTTP server (through the errors it throws).
 */
import type { StoredState } from '../store/store.js';

export const BULK_ACTIONS = ['cancel', 'retry'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export const OPERATION_STATES = ['running', 'done', 'failed', 'stopped'] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

/** The states each action applies to, and those it walks when the filter names none. */
export const ACTION_STATES: Record<BulkAction, { allowed: readonly StoredState[]; byDefault: readonly StoredState[] }> = {
  cancel: { allowed: ['running', 'queued', 'scheduled'], byDefault: ['running', 'queued', 'scheduled'] },
  retry: { allowed: ['failed', 'abandoned', 'cancelled', 'completed'], byDefault: ['failed', 'abandoned'] },
};
