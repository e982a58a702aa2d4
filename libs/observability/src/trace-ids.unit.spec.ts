import { newSpanId, newTraceId } from './trace-context';

describe('trace and span ids', () => {
  it('are W3C-shaped lowercase hex (32 and 16 characters), and never repeat across pool refills', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = newTraceId();
      const s = newSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      ids.add(t).add(s);
    }
    // 1,000 of each is 24,000 bytes: the 4 KB pool was refilled several times.
    expect(ids.size).toBe(2000);
  });
});
