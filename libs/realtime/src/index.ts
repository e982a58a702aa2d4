export * from './presence';
export * from './delivery';
