import { GroupCommit } from '@im/eventstore';
import { Kysely } from 'kysely';
import { ClaimOutcome, DecideContext } from './red-packet.decider';
import { Claimant, claimBatch } from './red-packet.store';
import type { DB } from '../db.generated';

/**
 * Group commit of the claims of one packet: the claims that arrive while its transaction is
 * being written go together in the next one (GroupCommit), so a hot packet's lock is taken once
 * and its row, claims and events written once per batch, not per claim. At low load a claim goes
 * at once, alone. One queue per packet: packets never wait for each other, and there is nothing
 * shared between them (replicas each batch their own; the row lock orders their batches).
 */
export class ClaimBatches {
  private readonly packets = new Map<string, { commits: GroupCommit<Claimant, ClaimOutcome>; waiting: number }>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly context: () => DecideContext,
    private readonly maxBatch = 128,
  ) {}

  async submit(redPacketId: string, claimant: Claimant): Promise<ClaimOutcome> {
    const packet = this.packets.get(redPacketId) ?? this.open(redPacketId);
    packet.waiting++;
    try {
      return await packet.commits.submit(claimant);
    } finally {
      if (--packet.waiting === 0) this.packets.delete(redPacketId);
    }
  }

  private open(redPacketId: string) {
    const write = (claimants: Claimant[]) => this.db.transaction().execute((trx) => claimBatch(trx, redPacketId, claimants, this.context()));
    const commits = new GroupCommit<Claimant, ClaimOutcome>({
      db: this.db,
      write: (trx, claimants) => claimBatch(trx, redPacketId, claimants, this.context()),
      alone: async (claimant) => (await write([claimant]))[0],
      maxBatch: this.maxBatch,
    });
    const packet = { commits, waiting: 0 };
    this.packets.set(redPacketId, packet);
    return packet;
  }
}
