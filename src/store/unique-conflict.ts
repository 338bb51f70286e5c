/**
 * The error a store that enforces unique ids itself (a database shared by several nodes) raises
 * when a batch would make two jobs active with the same (function, unique). The batch is refused
 * whole, as any failed commit is; the error names the jobs involved, so a caller can withdraw or
 * coalesce just those and commit the rest again.
 */
export interface UniqueConflict {
  /** The job the refused batch tried to insert. */
  id: number;
  fn: string;
  unique: string;
  /** The active job that already holds the pair, when the store could still find one. */
  holder: { id: number; handle: string } | null;
}

export class UniqueConflictError extends Error {
  readonly code = 'UNIQUE_CONFLICT';

  constructor(readonly conflicts: UniqueConflict[]) {
    super(`an active job already has this function and unique: ${conflicts
      .map((c) => `${c.fn}/${c.unique} (job ${c.id}${c.holder === null ? '' : `, held by ${c.holder.handle}`})`)
      .join(', ')}`);
    this.name = 'UniqueConflictError';
  }
}
