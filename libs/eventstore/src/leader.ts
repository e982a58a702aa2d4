import { Kysely, sql } from 'kysely';
import { Client } from 'pg';
import { Logger } from './logger';

/**
 * A session advisory lock that says who leads. Postgres holds it for as long as the session
 * lives, and only that session can release it; so "do I still lead?" is "is my session still
 * alive?", which `stillHeld` asks with a `SELECT 1` (bounded by a timeout: a connection lost
 * without a word, in a network partition, would otherwise hang). A leader that finds it lost
 * stops at once; until it does, the checkpoint compare-and-set keeps two leaders from applying
 * an event twice (the slower one's batch rolls back), so the recheck is about not wasting work
 * and not splitting the stream between two readers, not about correctness.
 */
export interface LeaderLock {
  tryAcquire(): Promise<boolean>;
  stillHeld(timeoutMs: number): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * The lock on a connection of its own (what services use). Its `error` listener matters: a
 * pooled connection checked out for a long time has none, and a database restart then throws
 * an unhandled 'error' event that kills the process.
 */
export class OwnConnectionLock implements LeaderLock {
  private client?: Client;
  private held = false;

  constructor(
    private readonly url: string,
    private readonly key: string,
    private readonly logger?: Logger,
    /** Called when the session is lost while holding the lock: the leader steps down at once. */
    private readonly onLost?: () => void,
  ) {}

  async tryAcquire(): Promise<boolean> {
    const client = this.client ?? (await this.connect());
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [this.key]);
    this.held = rows[0].ok;
    return this.held;
  }

  async stillHeld(timeoutMs: number): Promise<boolean> {
    const client = this.client;
    if (!client || !this.held) return false;
    const alive = await withTimeout(client.query('SELECT 1').then(() => true), timeoutMs).catch(() => false);
    if (!alive) this.drop(client);
    return alive;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.held = false;
    if (!client) return;
    this.client = undefined;
    // Ending the session releases the lock with it, even if the unlock does not get through.
    await client.end().catch(() => undefined);
  }

  private async connect(): Promise<Client> {
    const client = new Client({ connectionString: this.url, application_name: 'im-projection-leader' });
    client.on('error', (e) => {
      this.logger?.warn(`leader connection lost (${e.message})`);
      this.drop(client);
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private drop(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    const wasHeld = this.held;
    this.held = false;
    void client.end().catch(() => undefined);
    if (wasHeld) this.onLost?.();
  }
}

/**
 * The lock on a connection pinned from the pool (when no database URL is given, as in the event
 * store's own tests). Followers give the connection back between attempts.
 */
export class PooledConnectionLock implements LeaderLock {
  private pinned?: { conn: Kysely<any>; unpin: () => void; done: Promise<void> };

  constructor(
    private readonly db: Kysely<any>,
    private readonly key: string,
  ) {}

  async tryAcquire(): Promise<boolean> {
    const pinned = await this.pin();
    const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(hashtext(${this.key})) AS ok`.execute(pinned.conn);
    if (!rows[0].ok) await this.unpin();
    return rows[0].ok;
  }

  async stillHeld(timeoutMs: number): Promise<boolean> {
    if (!this.pinned) return false;
    return withTimeout(sql`SELECT 1`.execute(this.pinned.conn).then(() => true), timeoutMs).catch(() => false);
  }

  async release(): Promise<void> {
    if (!this.pinned) return;
    await sql`SELECT pg_advisory_unlock(hashtext(${this.key}))`.execute(this.pinned.conn).catch(() => undefined);
    await this.unpin();
  }

  private pin(): Promise<NonNullable<PooledConnectionLock['pinned']>> {
    return new Promise((resolve, reject) => {
      let unpin!: () => void;
      const released = new Promise<void>((r) => (unpin = r));
      const done = this.db
        .connection()
        .execute(async (conn) => {
          this.pinned = { conn, unpin, done };
          resolve(this.pinned);
          await released;
        })
        .catch(reject);
    });
  }

  private async unpin(): Promise<void> {
    const pinned = this.pinned;
    this.pinned = undefined;
    pinned?.unpin();
    await pinned?.done;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
