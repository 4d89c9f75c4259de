import { MemoryStore } from '../../src/store/memory.js';
import { runStoreConformance } from './conformance.js';

// The memory store keeps its data in the instance: reopening is close + open of the same one.
runStoreConformance('memory', async () => new MemoryStore(), async (closed) => closed);
