export * from './config';
export * from './connection';
export * from './db';
export * from './migrate';
export * from './listen';
