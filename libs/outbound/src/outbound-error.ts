import { RefusalReason } from './special-ranges';

/**
 * Why an outbound request did not get an answer. `refused`: the target may not be reached (its
 * URL or an address it resolves to), which retrying will not change. `unresolved`: the name does
 * not exist. `deadline`: no complete answer in time. `busy`: not sent at all, its origin has
 * every slot taken and a full queue (come back shortly; it was not an attempt). `network`:
 * anything else on the way.
 */
export type OutboundErrorKind = 'refused' | 'unresolved' | 'deadline' | 'busy' | 'network';

export interface RefusalDetails {
  url: string;
  /** The address that was refused, when it was an address (not the scheme or credentials). */
  address: string | null;
  reason: RefusalReason | 'scheme' | 'credentials' | 'invalid';
}

export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundErrorKind,
    message: string,
    readonly refusal: RefusalDetails | null = null,
  ) {
    super(message);
    this.name = 'OutboundError';
  }

  static refused(refusal: RefusalDetails): OutboundError {
    const what = refusal.address ? `${refusal.address} is ${refusal.reason}` : `the URL is refused (${refusal.reason})`;
    return new OutboundError('refused', `OUTBOUND_ADDRESS_REFUSED: ${what}`, refusal);
  }
}
