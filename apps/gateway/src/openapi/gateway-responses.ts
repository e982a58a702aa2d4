import { z } from 'zod';

/** Bodies the gateway answers itself (no service behind them). */
export const HealthView = z.object({
  status: z.enum(['ok', 'unavailable']),
  nats: z.enum(['ok', 'down']),
  services: z.record(z.string(), z.enum(['ok', 'down'])),
  consumers: z.record(z.string(), z.array(z.record(z.string(), z.unknown())).nullable()).describe("each service's projection consumers: lag and parked count"),
});

/** Marks an operation whose success is a `text/event-stream`, not JSON. */
export const SSE = 'text/event-stream' as const;
