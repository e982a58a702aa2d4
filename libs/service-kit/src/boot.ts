import 'reflect-metadata';
import { DynamicModule, INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/** Boots a NATS-only service (no HTTP server of its own) with graceful shutdown on signals. */
export async function bootService(module: DynamicModule, signals = false): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(module, {
    logger: process.env.LOG_LEVEL === 'silent' ? false : ['log', 'warn', 'error'],
  });
  if (signals) app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  await app.init();
  return app;
}

export function runMain(start: () => Promise<unknown>, name: string): void {
  start().catch((e) => {
    new Logger(name).error(`failed to start: ${(e as Error).stack ?? e}`);
    process.exit(1);
  });
}
