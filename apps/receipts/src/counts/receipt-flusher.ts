import { EventData, newEvent, NewEvent } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { CommonConfig, NotificationListener } from '@im/db';
import { Clock, CLOCK, CONFIG, DB, ServiceOptions, ServiceRuntime } from '@im/service-kit';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import { RECEIPTS_SETTINGS, ReceiptsSettings } from '../receipts.settings';
import { ReceiptMessage, ReceiptMessageRow, toMessage } from '../view/receipt-messages';
import { ackChanges, anyQueued, takeChanges, vacuumQueue } from './change-queue';
import { Counted, mergeRanges, sameCounts } from './counting.rules';
import { countReaders } from './receipt-counter';
import type { DB as ReceiptsDB } from '../db.generated';

/**
 * Tells senders their new counts, coalesced. Reads and receipts only queue the seq ranges they
 * touched (insert-only, so ten thousand readers of one message never contend on a row); one
 * leader at a time takes what is queued, recounts each touched message once, stores the counts
 * GET /v1/receipts answers from, and appends one `receipt.updated` per message whose counts
 * changed, all in one transaction. It waits `flushIntervalMs` after each flush that did work,
 * so a message gets at most one update per interval however fast it is being read.
 */
@Injectable()
export class ReceiptFlusher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('receipts-flusher');
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private listener?: NotificationListener;
  /** A notification arrived since the last look. */
  private pending = true;
  /** Waiting out flushIntervalMs after a flush that did work: notifications do not cut it short. */
  private coalescing = false;
  /** Changes taken since the queue was last vacuumed. */
  private takenSinceVacuum = 0;

  constructor(
    @Inject(DB) private readonly db: Kysely<ReceiptsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: CommonConfig & { options: ServiceOptions },
    @Inject(RECEIPTS_SETTINGS) private readonly settings: ReceiptsSettings,
    private readonly runtime: ServiceRuntime,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.options.background === false) return;
    this.running = true;
    // Not before the migrations have run (the notifications' trigger is one of them).
    this.loop = this.runtime.ready.then(async () => {
      this.listener = new NotificationListener(this.config.databaseUrl, this.runtime.schema, `${this.runtime.schema}_receipt_changes`, () => this.notified());
      await this.listener.start().catch((e) => this.logger.warn(`no change notifications (${(e as Error).message}); polling`));
      await this.run();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listener?.stop();
  }

  /** A change was queued: flush now, unless a flush interval (coalescing) is running. */
  private notified(): void {
    this.pending = true;
    if (!this.coalescing) this.wake?.();
  }

  /**
   * Sleeps until a notification (or, as a fallback for one lost with its connection, the idle
   * poll), flushes, and after a flush that did work waits the flush interval before the next.
   */
  private async run(): Promise<void> {
    while (this.running) {
      let pause = this.settings.idlePollMs;
      this.coalescing = false;
      try {
        this.pending = false;
        const taken = (await this.queued()) ? await this.flushOnce() : 0;
        if (taken > 0) {
          this.takenSinceVacuum += taken;
          pause = this.settings.flushIntervalMs;
          this.coalescing = true;
          this.pending = true; // there may be more: look again right after the interval
        } else if (this.takenSinceVacuum >= VACUUM_AFTER) {
          this.takenSinceVacuum = 0;
          await vacuumQueue(this.db);
        }
      } catch (e) {
        // A failed flush leaves its changes queued (and the checkpoint where it was) for the next one.
        this.logger.warn(`flush failed: ${(e as Error).message}`);
        pause = 500;
      }
      if (this.pending && !this.coalescing) continue;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, pause);
      });
    }
  }

  /** The idle check: one index probe, no transaction. */
  private queued(): Promise<boolean> {
    return anyQueued(this.db);
  }

  /** One flush; returns how many queued changes it took (0 when another replica is the leader). */
  async flushOnce(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const { rows: lock } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(hashtextextended(current_schema() || '.receipt-flusher', 0)) AS ok`.execute(trx);
      if (!lock[0].ok) return 0;
      const taken = await takeChanges(trx, this.settings.flushBatch);
      if (taken.changes.length === 0) return 0;
      const messages = await touchedMessages(trx, mergeRanges(taken.changes));
      if (messages.length > 0) await this.publish(trx, messages);
      await ackChanges(trx, taken);
      return taken.changes.length;
    });
  }

  private async publish(trx: Transaction<ReceiptsDB>, messages: ReceiptMessage[]): Promise<void> {
    const counts = await countReaders(trx, messages);
    const before = await storedCounts(trx, messages.map((m) => m.messageUId));
    const changed = messages.filter((m) => !sameCounts(counts.get(m.messageUId)!, before.get(m.messageUId)));
    if (changed.length === 0) return;
    const now = this.clock.now();
    await storeCounts(trx, changed.map((m) => [m.messageUId, counts.get(m.messageUId)!]), now.getTime());
    const events: NewEvent[] = changed.map((m) => newEvent('receipt.updated', receiptUpdated(m, counts.get(m.messageUId)!)));
    // One stream for all updates: only the leader appends to it, in flush order.
    await appendToStream(trx, 'receipt-updates', 'any', events, now);
  }
}

/** Changes taken (dead rows left in the queue) before an emptied queue is vacuumed. */
const VACUUM_AFTER = 10_000;

export function receiptUpdated(m: ReceiptMessage, c: Counted): EventData<'receipt.updated'> {
  const base = {
    messageUId: m.messageUId,
    conversationId: m.conversationId,
    conversationType: m.conversationType as EventData<'receipt.updated'>['conversationType'],
    targetId: m.targetId,
    senderId: m.senderId,
  };
  return m.conversationType === 3
    ? { ...base, readCount: c.readCount, unreadCount: c.unreadCount }
    : { ...base, isPeerRead: c.readCount > 0, timestamp: c.peerReadAt };
}

/** The messages collecting receipts whose seq falls in one of the merged ranges. */
async function touchedMessages(trx: Transaction<ReceiptsDB>, ranges: Map<string, Array<[number, number]>>): Promise<ReceiptMessage[]> {
  const convs: string[] = [];
  const froms: number[] = [];
  const tos: number[] = [];
  for (const [conv, list] of ranges) {
    for (const [from, to] of list) {
      convs.push(conv);
      froms.push(from);
      tos.push(to);
    }
  }
  const { rows } = await sql<ReceiptMessageRow>`
    SELECT m.*, (m.need_read_receipt OR q.message_uid IS NOT NULL) AS receipts_on
      FROM unnest(${convs}::text[], ${froms}::bigint[], ${tos}::bigint[]) AS r(conv, lo, hi)
      JOIN receipt_messages m ON m.conversation_id = r.conv AND m.seq > r.lo AND m.seq <= r.hi
      LEFT JOIN receipt_requests q ON q.message_uid = m.message_uid
     WHERE NOT m.recalled AND (m.need_read_receipt OR q.message_uid IS NOT NULL)`.execute(trx);
  return rows.map(toMessage);
}

export async function storedCounts(db: Kysely<ReceiptsDB>, uids: string[]): Promise<Map<string, Counted>> {
  if (uids.length === 0) return new Map();
  const rows = await db.selectFrom('receipt_counts').selectAll().where('message_uid', 'in', uids).execute();
  return new Map(
    rows.map((r) => [r.message_uid, { readCount: r.read_count, unreadCount: r.unread_count, peerReadAt: r.peer_read_at }]),
  );
}

async function storeCounts(trx: Transaction<ReceiptsDB>, counts: Array<[string, Counted]>, now: number): Promise<void> {
  await trx
    .insertInto('receipt_counts')
    .values(counts.map(([uid, c]) => ({ message_uid: uid, read_count: c.readCount, unread_count: c.unreadCount, peer_read_at: c.peerReadAt, updated_at: now })))
    .onConflict((oc) =>
      oc.column('message_uid').doUpdateSet((eb) => ({
        read_count: eb.ref('excluded.read_count'),
        unread_count: eb.ref('excluded.unread_count'),
        peer_read_at: eb.ref('excluded.peer_read_at'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}
