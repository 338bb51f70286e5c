// The PostgreSQL behind the `gearhq-postgres` server of the benchmark: the one the tests use
// (test/support/postgres.ts), started once per session, a fresh database per run.
import { startPostgres, type TestPostgres } from '../test/support/postgres.js';

export { DATABASE_URL_ENV, redactUrl } from '../test/support/postgres.js';

export type BenchPostgres = TestPostgres;

export function startBenchPostgres(): Promise<BenchPostgres> {
  return startPostgres({ what: 'the benchmark', databasePrefix: 'gearhq_bench' });
}
