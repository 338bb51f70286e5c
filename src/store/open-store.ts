import type { ServerConfig } from '../config.js';
import { ConfigError } from '../config.js';
import { MemoryStore } from './memory/memory-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Builds the store the configuration asks for. */
export function createStore(config: ServerConfig): Store {
  switch (config.store) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      return new SqliteStore({ dataDir: config.dataDir, durability: config.durability });
    case 'postgres':
      throw new ConfigError(`--store ${config.store} is not available in this version yet; use --store memory`);
  }
}
