export { startBroker, VERSION, type ListenAddress, type RunningBroker, type StartOptions } from './broker.js';
export { loadConfig, defaultConfig, formatHelp, referenceConfig, type BrokerConfig } from './config.js';
export { createLogger, type Logger } from './log.js';
export { StompboxError, ErrorCodes, type ErrorCode } from './errors.js';
export { MemoryStore } from './store/memory.js';
export type { MessageStore, StoreBatch, StoredMessage, RecoveredQueue } from './store/types.js';
export { Router } from './core/router.js';
export type { Message } from './core/message.js';
