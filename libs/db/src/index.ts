export * from './config';
export * from './connection';
export * from './db';
export * from './prepared';
export * from './migrate';
export * from './listen';
