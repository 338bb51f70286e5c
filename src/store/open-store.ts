import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import { MemoryStore } from './memory/memory-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Builds the store the configuration asks for. */
export function createStore(config: ServerConfig, log?: Logger): Store {
  switch (config.store) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      return new SqliteStore({ dataDir: config.dataDir, durability: config.durability, log });
    case 'postgres':
      // loadConfig has checked that --database-url is given.
      return new PostgresStore({ url: config.databaseUrl, durability: config.durability });
  }
}
