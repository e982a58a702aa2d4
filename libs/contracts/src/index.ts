export * from './api';
export * from './asyncapi';
export * from './envelope';
export * from './errors';
export * from './events';
export * from './ids';
export * from './message-types';
export * from './rpc';
export * from './subjects';
export * from './validation';
export * from './expansions-api';
export * from './receipts-api';
export * from './push-api';
export * from './callbacks-api';
export * from './actor';
export * from './pages';
/** Response schemas, named like the reply types they mirror: `ReplySchemas.MessageView`. */
export * as ReplySchemas from './responses';
export * from './chatrooms-api';
