export * from './presence-constants';
export * from './presence-announcement';
export * from './presence-reporter';
export * from './presence-board';
