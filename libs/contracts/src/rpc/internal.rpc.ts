import { SERVICES, ServiceName } from '../subjects';

/**
 * The methods one service asks of another, answered (by the same handler as from the gateway)
 * on `im.internal.<service>.<method>` as well, with the services allowed to ask. Everything else
 * is answered on `im.rpc.*` only, which only the gateway may publish to: a service acts on an
 * `actor` it did not get from the gateway only through what is listed here.
 *
 * deploy/nats/nats.conf grants exactly these publish permissions (its int test checks every
 * entry both ways). `position` (the read barrier asks a source how far it published) and
 * `health` (the container healthcheck, run as the service's own user) carry no actor.
 */
export const INTERNAL_RPC = {
  messaging: {
    /** A red packet's message, sent as its payer, and the claim notices (expansions' RedPacketMessenger). */
    'messages.send': ['expansions'],
    /** `app:red_packet`, registered by the server before the first packet. */
    'message-types.register': ['expansions'],
    /** The push badge; server actor only. */
    'conversations.unreadTotals': ['push'],
    ...plumbing('messaging'),
  },
  expansions: plumbing('expansions'),
  receipts: plumbing('receipts'),
  push: plumbing('push'),
} as const satisfies Record<ServiceName, Record<string, readonly ServiceName[]>>;

function plumbing<S extends ServiceName>(self: S) {
  return { position: SERVICES, health: [self] } as const;
}

/** Whether `method` of `service` is answered on its internal subject. */
export function isInternalMethod(service: ServiceName, method: string): boolean {
  return Object.prototype.hasOwnProperty.call(INTERNAL_RPC[service], method);
}
