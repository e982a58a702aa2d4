/**
 * The e2e harness (`@im/stack`): the apps booted in this process, and everything of `@im/testing`.
 * It lives outside libs/ because it imports the apps, which no library may (lint's module
 * boundaries): this folder belongs to no project, so it is the one place that composes them.
 */
export * from '@im/testing';
export * from './stack';
export * from './receivers';
