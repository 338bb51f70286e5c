import { MemoryStore } from '../../src/store/memory/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { runStoreConformance } from './conformance.js';

runStoreConformance('memory', async () => {
  let current: Store = new MemoryStore();
  await current.open();
  return {
    store: current,
    async reopen() {
      await current.close();
      current = new MemoryStore();
      await current.open();
      return current;
    },
    async cleanup() {
      await current.close();
    },
  };
});
