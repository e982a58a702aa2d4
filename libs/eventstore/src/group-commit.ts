import { Kysely, Transaction } from 'kysely';

export interface GroupCommitOptions<C, R, D = any> {
  db: Kysely<D>;
  /** Writes a batch of commands in one transaction; returns one result per command, in order. */
  write?(trx: Transaction<D>, commands: C[]): Promise<R[]>;
  /**
   * Or: writes a batch as one statement (atomic by itself), given the pool rather than a
   * transaction, so a batch costs one round trip instead of BEGIN, its statements and COMMIT.
   */
  writeStatement?(db: Kysely<D>, commands: C[]): Promise<R[]>;
  /**
   * Runs one command on its own, when its batch failed: a command that cannot commit fails
   * alone instead of failing the others with it.
   */
  alone(command: C): Promise<R>;
  /** Commands per transaction at most. */
  maxBatch?: number;

}

interface Pending<C, R> {
  command: C;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: commands that arrive while a transaction is being written wait for it, then go
 * together in the next one. At low load a command is written at once (a batch of one, no timer,
 * no added latency); under load one transaction, one commit and one hold of each hot row carry
 * many commands. One batch at a time per instance: its writes never wait on each other.
 *
 * A command's promise settles only after its transaction committed (or failed), so a caller's
 * answer always follows durability.
 */
export class GroupCommit<C, R, D = any> {
  private queue: Pending<C, R>[] = [];
  private flushing = false;

  constructor(private readonly o: GroupCommitOptions<C, R, D>) {}

  submit(command: C): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ command, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.o.maxBatch ?? 256);
        await this.writeBatch(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(batch: Pending<C, R>[]): Promise<void> {
    if (batch.length === 1) return this.writeAlone(batch[0]);
    let results: R[];
    try {
      const commands = batch.map((p) => p.command);
      const { write, writeStatement } = this.o;
      results = writeStatement ? await writeStatement(this.o.db, commands) : await this.o.db.transaction().execute((trx) => write!(trx, commands));
    } catch {
      // Nothing of the batch committed: each command is tried alone and settles on its own.
      await Promise.all(batch.map((p) => this.writeAlone(p)));
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }

  private async writeAlone(p: Pending<C, R>): Promise<void> {
    try {
      p.resolve(await this.o.alone(p.command));
    } catch (e) {
      p.reject(e);
    }
  }
}
