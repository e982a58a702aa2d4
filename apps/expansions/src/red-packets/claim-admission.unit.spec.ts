import { AppError } from '@im/contracts';
import { ClaimAdmission } from './claim-admission';

describe('ClaimAdmission', () => {
  const gate = () => {
    let open!: () => void;
    return { wait: new Promise<void>((r) => (open = r)), open: () => open() };
  };

  it('refuses at once beyond the bound per packet and in all, and frees the room when a claim ends', async () => {
    const a = new ClaimAdmission({ perPacket: 2, total: 3, maxWaitMs: 1000 });
    const g = gate();
    const held = [a.run('p1', () => g.wait), a.run('p1', () => g.wait), a.run('p2', () => g.wait)];
    await expect(a.run('p1', async () => 'x')).rejects.toMatchObject({
      code: 'CLAIMS_BUSY',
      status: 429,
      details: { retryAfterSeconds: 1 },
    });
    await expect(a.run('p3', async () => 'x')).rejects.toMatchObject({ code: 'CLAIMS_BUSY' });
    g.open();
    await Promise.all(held);
    await expect(a.run('p1', async () => 'x')).resolves.toBe('x');
  });

  it('refuses, from its deadline check, a claim admitted but kept waiting too long', async () => {
    let now = 0;
    const a = new ClaimAdmission({ perPacket: 5, total: 5, maxWaitMs: 100 }, () => now);
    await expect(a.run('p', async (d) => (d.assertOpen(), 'in time'))).resolves.toBe('in time');
    const late = a.run('p', async (d) => {
      now = 101;
      d.assertOpen();
      return 'written';
    });
    await expect(late).rejects.toBeInstanceOf(AppError);
    await expect(late).rejects.toMatchObject({ status: 429 });
  });
});
