import { Errors } from '@im/contracts';

/**
 * Admission control for claims, at the service, before a claim takes a connection or waits on
 * its packet's lock. Claims of one packet are serialised on its row, so a burst of thousands
 * used to queue until the gateway's RPC timeout answered 503 for claims that then went on to
 * succeed. Now a claim beyond the bound is answered at once with 429 CLAIMS_BUSY and Retry-After,
 * having done nothing; one admitted but still waiting past `maxWaitMs` (half the gateway's 10 s
 * RPC timeout) is refused the same way, from inside its transaction before it writes (rolled
 * back). So every claim gets its real answer or a 429 that changed nothing. The bounds are
 * CLAIMS_MAX_IN_FLIGHT_PER_PACKET, CLAIMS_MAX_IN_FLIGHT and CLAIMS_MAX_WAIT_MS (expansions.settings.ts).
 */
export interface ClaimAdmissionLimits {
  /** Claims of one packet admitted at once (the bench drives 64). */
  perPacket: number;
  /** Claims of all packets admitted at once by this replica. */
  total: number;
  /** An admitted claim that has not reached its decision after this long gives up, unwritten. */
  maxWaitMs: number;
}

export const CLAIM_ADMISSION = Symbol('CLAIM_ADMISSION');

/** Handed to an admitted claim: checked under the packet's lock, just before anything is written. */
export interface ClaimDeadline {
  assertOpen(): void;
}

export class ClaimAdmission {
  private readonly inPacket = new Map<string, number>();
  private inFlight = 0;

  constructor(
    private readonly limits: ClaimAdmissionLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async run<T>(redPacketId: string, claim: (deadline: ClaimDeadline) => Promise<T>): Promise<T> {
    const here = this.inPacket.get(redPacketId) ?? 0;
    if (here >= this.limits.perPacket || this.inFlight >= this.limits.total) throw busy();
    this.inPacket.set(redPacketId, here + 1);
    this.inFlight++;
    const admittedAt = this.now();
    try {
      return await claim({ assertOpen: () => this.now() - admittedAt <= this.limits.maxWaitMs || throwBusy() });
    } finally {
      this.inFlight--;
      const left = this.inPacket.get(redPacketId)! - 1;
      if (left === 0) this.inPacket.delete(redPacketId);
      else this.inPacket.set(redPacketId, left);
    }
  }
}

function busy() {
  return Errors.rateLimited('too many claims at once on this red packet; nothing was claimed, try again', 1, 'CLAIMS_BUSY');
}

function throwBusy(): never {
  throw busy();
}
