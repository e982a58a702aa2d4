export * from './http';
export * from './stack';
export * from './test-env';
