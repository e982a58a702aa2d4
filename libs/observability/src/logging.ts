import type { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger as Pino } from 'pino';
import { traceStore } from './trace-context';

/** What LOG_LEVEL may say; `silent` writes nothing. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggingOptions {
  level?: string;
  /** `pretty` for development (pino-pretty, a dev dependency); anything else is JSON lines. */
  format?: string;
  /** Where lines go (stdout unless given): a test passes its own stream to read them back. */
  destination?: DestinationStream;
}

let root: Pino | undefined;

/**
 * One JSON line per entry: `time` (ISO), `level` (its name), `context` (who wrote it), `msg`, and,
 * inside a traced piece of work, `trace_id`, `span_id` and `request_id` from the trace context
 * (the mixin reads it only for lines that pass the level, so a dropped debug line costs nothing).
 */
export function configureLogging(o: LoggingOptions = {}): Pino {
  const level = normaliseLevel(o.level ?? process.env.LOG_LEVEL);
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const c = traceStore.getStore();
      if (!c) return {};
      return c.requestId ? { trace_id: c.traceId, span_id: c.spanId, request_id: c.requestId } : { trace_id: c.traceId, span_id: c.spanId };
    },
  };
  root = pino(options, o.destination ?? prettyOrStdout(o.format ?? process.env.LOG_FORMAT) ?? (stdoutLines ??= batchedStdout()));
  return root;
}

export function rootLogger(): Pino {
  return root ?? configureLogging();
}

/** A logger whose lines say who wrote them (`context`). */
export function appLogger(context: string): Pino {
  return rootLogger().child({ context });
}

function normaliseLevel(raw: string | undefined): Level | 'silent' {
  const v = (raw ?? 'info').trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  // Nest's names, and pino's extremes, for whoever sets them.
  if (v === 'log') return 'info';
  if (v === 'verbose' || v === 'trace') return 'debug';
  if (v === 'fatal') return 'error';
  return 'info';
}

/**
 * Stdout, one write per event-loop turn: the lines of one turn go out together, at the end of
 * it (a write syscall per request line was 4 % of the gateway's CPU under load), and whatever
 * is left when the process exits is written then.
 */
let stdoutLines: DestinationStream | undefined;

function batchedStdout(): DestinationStream {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    process.stdout.write(text);
  };
  process.once('exit', flush);
  return {
    write(line: string) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
}

function prettyOrStdout(format: string | undefined): DestinationStream | undefined {
  if (format !== 'pretty') return undefined;
  try {
    // Synchronous, in this thread: a development aid, not worth a worker.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('pino-pretty')({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return undefined; // not installed (a production image): JSON it is
  }
}

const NEST_BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * Nest's logger, as JSON lines: Nest and every `new Logger(context)` in the apps write through it.
 * Nest passes the context last, and for `error` the stack before it.
 */
export class JsonNestLogger implements LoggerService {
  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const log = rootLogger();
    const strings = params.filter((p): p is string => typeof p === 'string');
    const context = strings.length > 0 ? strings[strings.length - 1] : undefined;
    // Nest's own start-up chatter (a line per module and route) is for debugging.
    if (level === 'info' && context && NEST_BOOT_CONTEXTS.has(context)) level = 'debug';
    if (!log.isLevelEnabled(level)) return;
    const stack = level === 'error' && strings.length > 1 ? strings[0] : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (stack) fields.stack = stack;
    if (message instanceof Error) log[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) log[level]({ ...fields, ...message });
    else log[level](fields, String(message));
  }
}
