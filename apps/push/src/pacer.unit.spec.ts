import { Pacer } from './pacer';

/** The outbox workers' pacing, on jest's clock: slow while idle, at once when woken, never a round lost. */
describe('Pacer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const pacer = (found: () => number) => {
    const at: number[] = [];
    const p = new Pacer('test', 100, 1000, async () => {
      at.push(Date.now());
      return found();
    });
    p.start(Promise.resolve());
    return { p, at };
  };
  const advance = async (ms: number) => {
    for (let i = 0; i < ms / 10; i++) await jest.advanceTimersByTimeAsync(10);
  };

  it('backs off while rounds find nothing, to at most the idle interval', async () => {
    const { p, at } = pacer(() => 0);
    await advance(10_000);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(gaps.slice(0, 4)).toEqual([200, 400, 800, 1000]);
    expect(Math.max(...gaps)).toBe(1000);
    expect(at.length).toBeLessThan(15);
    await p.stop();
  });

  it('runs a round soon after a wake, and stays quick for a while after it', async () => {
    const { p, at } = pacer(() => 0);
    await advance(5_000);
    const woken = Date.now();
    p.wake();
    await advance(150);
    expect(at[at.length - 1] - woken).toBeLessThanOrEqual(110);
    const n = at.length;
    await advance(1_000);
    expect(at.length - n).toBeGreaterThanOrEqual(8);
    await p.stop();
  });

  it('keeps a wake for a later time (a retry) while idle rounds come and go', async () => {
    const { p, at } = pacer(() => 0);
    await advance(4_000);
    const due = Math.ceil((Date.now() + 2_550) / 100) * 100;
    p.wake(2_550);
    await advance(3_000);
    expect(at).toContain(due);
    await p.stop();
  });
});
