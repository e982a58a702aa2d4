import { z } from 'zod';

/**
 * Response schemas of the public API, beside the request schemas in `api.ts`: each mirrors a
 * reply type of `rpc/*.rpc.ts` (checked at compile time by `mirror`), and the gateway's OpenAPI
 * document is generated from them, so a generated client gets typed replies.
 */
export * from './responses/messaging.responses';
export * from './responses/expansions.responses';
export * from './responses/receipts.responses';
export * from './responses/push.responses';
export * from './responses/chatrooms.responses';
export * from './responses/callbacks.responses';

/** `POST /v1/users/{userId}/token` (signed by the gateway, not a service). */
export const TokenIssued = z.object({ userId: z.string(), token: z.string(), expiresAt: z.number().int().describe('ms since the epoch') });

/** The one error JSON every 4xx and 5xx answers with. */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().describe('a stable name such as VALIDATION_FAILED; the operation lists the codes it returns'),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });
