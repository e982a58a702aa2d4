import { z } from 'zod';
import { Errors } from './errors';
import { ConversationTypeSchema, EntityId } from './ids';

/** Message expansion limits (seed: red packet use case; RongCloud's message expansion). */
export const EXPANSION_KEY = /^[A-Za-z0-9_+=-]{1,32}$/;
export const MAX_EXPANSION_VALUE = 4096;
export const MAX_KEYS_PER_CALL_USER = 20;
export const MAX_KEYS_PER_CALL_SERVER = 100;
export const MAX_KEYS_PER_MESSAGE = 300;
/**
 * A message's whole expansion, serialized as its `{ key: value }` JSON: 300 keys of 4096
 * characters would be over a megabyte, more than one NATS message (a reply, an event) can carry
 * together with the message. Measured after the change; a change past it is refused whole.
 */
export const MAX_EXPANSION_BYTES = 64 * 1024;

/**
 * At most 20 keys set per call with a user token, 100 with the server key: a PATCH and the
 * expansion sent with the message alike, refused whole with the same code.
 */
export function assertKeysPerCall(keyCount: number, isServer: boolean): void {
  const limit = isServer ? MAX_KEYS_PER_CALL_SERVER : MAX_KEYS_PER_CALL_USER;
  if (keyCount > limit) throw Errors.unprocessable('TOO_MANY_KEYS_PER_CALL', `at most ${limit} keys can be set per call`, { limit });
}

/** The serialized size of an expansion, as `MAX_EXPANSION_BYTES` counts it. */
export function expansionBytes(entries: Iterable<readonly [string, string]>): number {
  return Buffer.byteLength(JSON.stringify(Object.fromEntries(entries)), 'utf8');
}

const ExpansionKey = z.string().regex(EXPANSION_KEY, 'keys are 1-32 characters of A-Z a-z 0-9 _ + = -');
const ExpansionValue = z.string().max(MAX_EXPANSION_VALUE, `values are at most ${MAX_EXPANSION_VALUE} characters`);
export const ExpansionMap = z.record(ExpansionKey, ExpansionValue);

export const PatchExpansionBody = z
  .strictObject({
    set: ExpansionMap.optional(),
    remove: z.array(ExpansionKey).max(MAX_KEYS_PER_MESSAGE).optional(),
    clear: z.boolean().optional(),
    expectedVersions: z.record(ExpansionKey, z.number().int().min(0)).optional(),
  })
  .refine((b) => b.set !== undefined || b.remove !== undefined || b.clear === true, {
    message: 'give set, remove or clear',
    path: ['set'],
  });
export type PatchExpansionBody = z.infer<typeof PatchExpansionBody>;

/** The message type a red packet is sent as, and the expansion keys on it that belong to the packet. */
export const RED_PACKET_TYPE = 'app:red_packet';
export const RED_PACKET_KEYS: readonly string[] = ['open', 'count', 'amount', 'claimed', 'status'];

/** Red packets: amounts are integers in minor units. */
export const MAX_RED_PACKET_AMOUNT = 1_000_000_000_000;
export const MAX_RED_PACKET_SHARES = 10_000;
export const DEFAULT_RED_PACKET_TTL_SECONDS = 24 * 3600;

/** Money, coins or points (the seed): any short code, echoed exactly as given. */
export const RED_PACKET_CURRENCY = /^[A-Za-z0-9_]{1,16}$/;

export const CreateRedPacketBody = z.strictObject({
  conversationType: ConversationTypeSchema,
  targetId: EntityId,
  totalAmount: z.number().int().min(1).max(MAX_RED_PACKET_AMOUNT),
  count: z.number().int().min(1).max(MAX_RED_PACKET_SHARES),
  mode: z.enum(['random', 'fixed']),
  currency: z.string().regex(RED_PACKET_CURRENCY, 'currency is a code of 1-16 characters A-Z a-z 0-9 _ (CNY, POINTS, coins)'),
  greeting: z.string().max(128).optional(),
  receiverIds: z.array(EntityId).min(1).max(MAX_RED_PACKET_SHARES).optional(),
  expiresInSeconds: z.number().int().min(1).max(DEFAULT_RED_PACKET_TTL_SECONDS).optional(),
});
export type CreateRedPacketBody = z.infer<typeof CreateRedPacketBody>;

export const RedPacketId = z.string().regex(/^rp_[0-9a-z]{8,40}$/, 'a red packet id looks like rp_...');
