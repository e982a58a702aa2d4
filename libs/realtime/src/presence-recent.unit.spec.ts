import { Subjects } from '@im/contracts';
import { NatsConnection } from '@nats-io/transport-node';
import { PresenceBoard, PRESENCE_EXPIRY_MS } from './presence';

/** A fake connection that lets the test deliver announcements by hand. */
function fakeNats() {
  let callback: (e: unknown, m: { json(): unknown }) => void = () => undefined;
  const nc = {
    subscribe: (_s: string, o: { callback: typeof callback }) => ((callback = o.callback), { unsubscribe: () => undefined }),
    publish: () => undefined,
  } as unknown as NatsConnection;
  return { nc, announce: (gatewayId: string, userIds: string[]) => callback(null, { json: () => ({ gatewayId, userIds, at: 0 }) }) };
}

describe('PresenceBoard.recentlyOnline', () => {
  it('remembers a user for a while after their stream closed', () => {
    let now = 1_000_000;
    const { nc, announce } = fakeNats();
    const board = new PresenceBoard(nc, new Subjects('t'), () => now);
    board.start();
    announce('gw1', ['ann', 'bob']);
    expect(board.isOnline('ann')).toBe(true);
    now += 1000;
    announce('gw1', ['bob']);
    expect(board.isOnline('ann')).toBe(false);
    expect(board.recentlyOnline('ann', 10 * 60_000)).toBe(true);
    now += 10 * 60_000;
    expect(board.recentlyOnline('ann', 10 * 60_000)).toBe(false);
    expect(board.recentlyOnline('zed', 10 * 60_000)).toBe(false);
  });

  it('counts a user on a gateway that fell silent as recently online, not online', () => {
    let now = 0;
    const { nc, announce } = fakeNats();
    const board = new PresenceBoard(nc, new Subjects('t'), () => now);
    board.start();
    announce('gw1', ['ann']);
    now += PRESENCE_EXPIRY_MS + 1;
    expect(board.isOnline('ann')).toBe(false);
    expect(board.recentlyOnline('ann', 60_000)).toBe(true);
  });
});
