export * from './boot';
export * from './service-definition';
export * from './service-kit.module';
export * from './service-runtime';
export * from './tokens';
export * from './ticker';
export * from './messaging-directory';
export * from './config';
