/** How long after a write the same caller's reads wait for the copies: well past the lag target. */
const WINDOW_MS = 10_000;
/** Callers remembered at most (the oldest forgotten first): a bounded map, not a leak. */
const CAPACITY = 100_000;

/**
 * Reads by the writer see the write. A caller (one credential, one X-User-Id) that has just
 * written gets its reads of the next few seconds answered after the services' copies caught up
 * with what their owners had committed (the read barrier, behind `{ consistent: true }`, which
 * edge.ts sets); other callers' reads, and everyone's commands, go straight through. Kept per
 * gateway process: a client that spreads one conversation over several gateways should stick to one.
 */
export class ReadYourWrites {
  private readonly lastWrite = new Map<string, number>();

  /** Whether this caller's read must be consistent (it wrote within the window). */
  mustWait(headers: Record<string, string | string[] | undefined>): boolean {
    const at = this.lastWrite.get(callerOf(headers));
    return at !== undefined && Date.now() - at <= WINDOW_MS;
  }

  /** A write by this caller succeeded. */
  wrote(headers: Record<string, string | string[] | undefined>): void {
    const caller = callerOf(headers);
    this.lastWrite.delete(caller);
    this.lastWrite.set(caller, Date.now());
    if (this.lastWrite.size > CAPACITY) this.lastWrite.delete(this.lastWrite.keys().next().value!);
  }
}

function callerOf(headers: Record<string, string | string[] | undefined>): string {
  return `${headers.authorization ?? ''}\u0000${headers['x-user-id'] ?? ''}`;
}
