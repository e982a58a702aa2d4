export * from './env-var';
export * from './read-config';
export * from './common.config';
export * from './secrets';
