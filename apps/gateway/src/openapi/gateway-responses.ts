import { z } from 'zod';

/** Bodies the gateway answers itself (no service behind them). */
export const HealthView = z.object({
  status: z.enum(['ok', 'unavailable']),
  nats: z.enum(['ok', 'down']),
  services: z.record(z.string(), z.enum(['ok', 'down'])),
  consumers: z.record(z.string(), z.array(z.record(z.string(), z.unknown())).nullable()).describe("each service's projection consumers: lag and parked count"),
});

/** `/health/live`: the process answers. */
export const LiveView = z.object({ status: z.literal('ok') });

/** `/health/ready`: every check by name (`ok`, `down`, or why not), and those that failed. */
export const ReadyView = z.object({
  status: z.enum(['ok', 'unavailable']),
  notReady: z.array(z.string()),
  checks: z.record(z.string(), z.string()).describe('nats, and each service: ok, down, or the checks it failed'),
});

/** Marks an operation whose success is Prometheus text (`/metrics`). */
export const PROMETHEUS_TEXT = 'text/plain' as const;

/** Marks an operation whose success is a `text/event-stream`, not JSON. */
export const SSE = 'text/event-stream' as const;
