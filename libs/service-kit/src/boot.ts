import 'reflect-metadata';
import { appLogger, JsonNestLogger } from '@im/observability';
import { DynamicModule, INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError } from './config';

/** Exit status for a refused configuration (sysexits EX_CONFIG), distinct from a crash. */
export const EXIT_CONFIG = 78;

/** Boots a NATS-only service (no HTTP server of its own) with graceful shutdown on signals. */
export async function bootService(module: DynamicModule, signals = false): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(module, {
    // JSON lines at LOG_LEVEL (libs/observability), in place of Nest's coloured text.
    logger: new JsonNestLogger(),
  });
  if (signals) app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  await app.init();
  return app;
}

/**
 * Runs an entry point: JSON log lines from the first one (config warnings come before Nest
 * starts). A refused configuration is one line on stderr naming the variables and exit 78,
 * before anything connects (configs are read when the module is built).
 */
export function runMain(start: () => Promise<unknown>, name: string): void {
  Logger.overrideLogger(new JsonNestLogger());
  // `start` may throw before it returns a promise (a module's config is read as it is built).
  Promise.resolve().then(start).catch((e) => {
    if (e instanceof ConfigError) {
      process.stderr.write(`${name}: ${e.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    appLogger(name).error({ err: e }, 'failed to start');
    process.exit(1);
  });
}
