export * from './http';
export * from './test-env';
export * from './sse';
export * from './nats-server';
