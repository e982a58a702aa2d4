import { Errors, Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { createHash, randomBytes } from 'node:crypto';

/** What a ticket stands for: a user's stream (and the device, when it was named). */
export interface TicketGrant {
  userId: string;
  deviceId: string | null;
}

interface TicketRecord extends TicketGrant {
  expiresAt: number;
  used: boolean;
}

const TICKET = /^[A-Za-z0-9_-]{43}$/;

/**
 * One-time stream tickets, so a browser's `EventSource` (which cannot send an Authorization
 * header) opens `GET /v1/stream?ticket=` without a long-lived token in the URL. Kept in a
 * JetStream stream every gateway replica shares: one subject per ticket (its hash: the ticket
 * itself is never stored), the last message being its state. Redeeming writes "used" on
 * condition that the subject's last message is still the one read, so of two gateways redeeming
 * at once one wins. Entries age out after twice the TTL (until then an expired ticket is named so).
 */
export class StreamTickets {
  private ready?: Promise<void>;

  constructor(
    private readonly nats: Nats,
    private readonly subjects: Subjects,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(grant: TicketGrant): Promise<{ ticket: string; expiresAt: string }> {
    await this.ensureStream();
    const ticket = randomBytes(32).toString('base64url');
    const record: TicketRecord = { ...grant, expiresAt: this.now() + this.ttlSeconds * 1000, used: false };
    await this.nats.js.publish(this.subject(ticket), JSON.stringify(record));
    return { ticket, expiresAt: new Date(record.expiresAt).toISOString() };
  }

  /** The ticket's grant, once; a used, expired or unknown ticket is a 401 saying which. */
  async redeem(ticket: string): Promise<TicketGrant> {
    if (!TICKET.test(ticket)) throw Errors.ticket('TICKET_INVALID', 'not a stream ticket');
    await this.ensureStream();
    const stored = await this.nats.jsm.streams
      .getMessage(this.subjects.streamTicketStream(), { last_by_subj: this.subject(ticket) })
      .catch(() => null);
    if (!stored) throw Errors.ticket('TICKET_INVALID', 'unknown stream ticket');
    const record = stored.json<TicketRecord>();
    if (record.used) throw Errors.ticket('TICKET_USED', 'this stream ticket was already used');
    if (record.expiresAt <= this.now()) throw Errors.ticket('TICKET_EXPIRED', 'this stream ticket expired');
    await this.nats.js
      .publish(this.subject(ticket), JSON.stringify({ ...record, used: true }), { expect: { lastSubjectSequence: stored.seq } })
      .catch((e: Error) => {
        // Another redeemer wrote first (the condition failed); anything else is not the caller's fault.
        throw /wrong last sequence/i.test(e.message) ? Errors.ticket('TICKET_USED', 'this stream ticket was already used') : e;
      });
    return { userId: record.userId, deviceId: record.deviceId };
  }

  private subject(ticket: string): string {
    return this.subjects.streamTicket(createHash('sha256').update(ticket).digest('hex').slice(0, 40));
  }

  private ensureStream(): Promise<void> {
    this.ready ??= this.createStream().catch((e) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private async createStream(): Promise<void> {
    const name = this.subjects.streamTicketStream();
    if (await this.nats.jsm.streams.info(name).catch(() => null)) return;
    await this.nats.jsm.streams
      .add({
        name,
        subjects: [this.subjects.streamTicket('*')],
        retention: RetentionPolicy.Limits,
        storage: StorageType.Memory,
        max_msgs_per_subject: 1,
        max_age: 2 * this.ttlSeconds * 1_000_000_000,
      })
      .catch(async (e) => {
        await this.nats.jsm.streams.info(name).catch(() => Promise.reject(e));
      });
  }
}
