/**
 * The one place that names every NATS subject and JetStream stream. A deployment (or a test
 * run) picks a prefix; everything else derives from it so runs never see each other's data.
 */
export const SERVICES = ['messaging', 'expansions', 'receipts', 'push'] as const;
export type ServiceName = (typeof SERVICES)[number];

export class Subjects {
  constructor(readonly prefix: string = 'im') {
    if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`invalid subject prefix: ${prefix}`);
  }

  /** `im.events.messaging.message.sent` */
  event(service: ServiceName, type: string): string {
    return `${this.prefix}.events.${service}.${type}`;
  }

  serviceEvents(service: ServiceName): string {
    return `${this.prefix}.events.${service}.>`;
  }

  /** One stream per publishing service: `IM_MESSAGING`. */
  stream(service: ServiceName): string {
    return `${this.prefix}_${service}`.toUpperCase().replace(/-/g, '_');
  }

  /**
   * Request/reply subject of a command or query handled by a service, on behalf of the `actor`
   * inside: only the gateway may publish here (deploy/nats/nats.conf), so the actor is one the
   * gateway authenticated.
   */
  rpc(service: ServiceName, method: string): string {
    return `${this.prefix}.rpc.${service}.${method}`;
  }

  /**
   * The same method asked by another service (INTERNAL_RPC names which methods and which
   * callers); each service user may publish only the internal subjects it is listed for.
   */
  internal(service: ServiceName, method: string): string {
    return `${this.prefix}.internal.${service}.${method}`;
  }

  health(service: ServiceName): string {
    return this.rpc(service, 'health');
  }

  /**
   * Per-user delivery for the real-time stream. A user id may hold characters a subject token
   * cannot ('.'), so the token is the id in base64url.
   */
  deliver(userId: string): string {
    return `${this.prefix}.deliver.${userToken(userId)}`;
  }

  /** The stream of per-user deliveries: its sequence is the SSE event id, so a device can resume. */
  deliveryStream(): string {
    return `${this.prefix}_delivery`.toUpperCase().replace(/-/g, '_');
  }

  deliveryWildcard(): string {
    return `${this.prefix}.deliver.*`;
  }

  /** Status messages: live only, never stored, never replayed. */
  live(userId: string): string {
    return `${this.prefix}.live.${userToken(userId)}`;
  }

  /** A gateway tells the others a user's device opened a stream there (the older one is replaced). */
  streamControl(userId: string): string {
    return `${this.prefix}.streamctl.${userToken(userId)}`;
  }

  /** One-time stream tickets, by the ticket's hash (see the gateway's stream-tickets.ts). */
  streamTicket(hash: string): string {
    return `${this.prefix}.streamticket.${hash}`;
  }

  streamTicketStream(): string {
    return `${this.prefix}_stream_tickets`.toUpperCase().replace(/-/g, '_');
  }

  /** Gateways announce which users have live streams (see libs/realtime presence). */
  presence(): string {
    return `${this.prefix}.presence`;
  }

  presenceSync(): string {
    return `${this.prefix}.presence.sync`;
  }

  /**
   * The gateways' remembered answers to requests with an Idempotency-Key, one subject per
   * (credential, key) hash, the last message per subject kept: a key-value bucket with an age limit.
   */
  idempotencyStream(): string {
    return `${this.prefix}_idempotency`.toUpperCase().replace(/-/g, '_');
  }

  idempotency(keyHash: string): string {
    return `${this.prefix}.idempotency.${keyHash}`;
  }

  idempotencyWildcard(): string {
    return `${this.prefix}.idempotency.*`;
  }

  /** Durable consumer names are per projection; they must be unique within a stream only. */
  durable(consumerService: ServiceName, projection: string): string {
    return `${consumerService}_${projection}`.replace(/[^A-Za-z0-9_-]/g, '_');
  }
}

export function userToken(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}
