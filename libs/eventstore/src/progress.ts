/**
 * How far each projection has been applied by this process, per stream: its consumer reports
 * every commit, and whoever waits for a projection (a reaction waiting for a view, the read
 * barrier) is woken at once instead of polling the checkpoint table. Only a hint: another
 * replica may be the one leading, so waiters still fall back to the table.
 */
class ProjectionProgress {
  private readonly reached = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();

  advance(projection: string, stream: string, sequence: number): void {
    const key = `${projection}\u0000${stream}`;
    if ((this.reached.get(key) ?? 0) >= sequence) return;
    this.reached.set(key, sequence);
    for (const wake of this.waiters.get(key) ?? []) wake();
  }

  /** True once this process applied `sequence` (within `ms`); false means "look in the table". */
  async waitFor(projection: string, stream: string, sequence: number, ms: number): Promise<boolean> {
    const key = `${projection}\u0000${stream}`;
    const until = Date.now() + ms;
    while ((this.reached.get(key) ?? 0) < sequence) {
      const left = until - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const set = this.waiters.get(key) ?? new Set();
        this.waiters.set(key, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        set.add(done);
      });
    }
    return true;
  }
}

export const projectionProgress = new ProjectionProgress();
