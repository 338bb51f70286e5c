import type { ServerConfig } from '../config.js';
import { ConfigError } from '../config.js';
import { MemoryStore } from './memory/memory-store.js';
import type { Store } from './store.js';

/** Builds the store the configuration asks for. */
export function createStore(config: ServerConfig): Store {
  switch (config.store) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
    case 'postgres':
      throw new ConfigError(`--store ${config.store} is not available in this version yet; use --store memory`);
  }
}
