import { EntityId } from '@im/contracts';
import { z } from 'zod';

/**
 * `GET /v1/stream`: `deviceId` (unless the ticket names the device), `lastEventId` for a new
 * `EventSource` that cannot send the Last-Event-ID header (anything unreadable is a `resync`,
 * not a 400), `ticket` instead of an Authorization header.
 */
export const StreamQuery = z.strictObject({
  deviceId: EntityId.optional(),
  lastEventId: z.string().max(64).optional(),
  ticket: z.string().max(128).optional(),
});

/** `POST /v1/stream/tickets`: optionally bound to one device. */
export const StreamTicketBody = z.strictObject({ deviceId: EntityId.optional() });

export const StreamTicketIssued = z.object({
  ticket: z.string().describe('opaque, 43 characters; pass it as GET /v1/stream?ticket='),
  expiresAt: z.string().describe('ISO 8601; the ticket is refused after this, and once used'),
});
