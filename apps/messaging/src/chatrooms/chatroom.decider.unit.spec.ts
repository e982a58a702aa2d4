import { AppError, NewEvent } from '@im/contracts';
import { ChatroomCommand, ChatroomState, decide, evolve, initialState } from './chatroom.decider';

const now = 1_700_000_000_000;
const room = 'r1';
const ann = { userId: 'ann', isServer: false };
const bob = { userId: 'bob', isServer: false };
const server = { userId: 'bob', isServer: true };

/** given these events (as the acting user sees them), when the command, then... */
function given(...events: NewEvent[]): ChatroomState {
  return events.reduce(evolve, initialState());
}
const when = (state: ChatroomState, command: ChatroomCommand) => decide(command, state, { now });
function refusal(state: ChatroomState, command: ChatroomCommand): { code: string; status: number } {
  try {
    when(state, command);
  } catch (e) {
    if (e instanceof AppError) return { code: e.code, status: e.status };
    throw e;
  }
  throw new Error('expected a refusal');
}

const created: NewEvent = { type: 'chatroom.upserted', data: { chatroomId: room, name: 'Live' } };
const joined: NewEvent = { type: 'chatroom.member.joined', data: { chatroomId: room, userId: 'ann' } };
const set = (key: string, userId: string, autoDelete = false): NewEvent => ({
  type: 'chatroom.attribute.changed',
  data: { chatroomId: room, type: 1, key, value: `v-${key}`, userId, autoDelete, reason: 'set', updatedAt: now - 1 },
});
const setAttr = (actor = ann, key = 'k', overwrite = true): ChatroomCommand => ({ type: 'setAttribute', chatroomId: room, actor, key, value: 'v', overwrite, autoDelete: false });

describe('chatroom decider', () => {
  it('given nothing, when upserted, then chatroom.upserted; again with the same name, then nothing', () => {
    expect(when(given(), { type: 'upsert', chatroomId: room, name: 'Live' })).toEqual([created]);
    expect(when(given(created), { type: 'upsert', chatroomId: room, name: 'Live' })).toEqual([]);
  });

  it('given no chatroom, when anyone joins, sets or deletes, then 404', () => {
    expect(refusal(given(), { type: 'join', chatroomId: room, userId: 'ann' })).toEqual({ code: 'NOT_FOUND', status: 404 });
    expect(refusal(given(), setAttr()).status).toBe(404);
  });

  it('given a member, when they join again, then nothing (joining is idempotent)', () => {
    expect(when(given(created, joined), { type: 'join', chatroomId: room, userId: 'ann' })).toEqual([]);
  });

  it('given a stranger, when they set an attribute, then the same 404 as for no chatroom', () => {
    expect(refusal(given(created), setAttr(bob))).toEqual({ code: 'NOT_FOUND', status: 404 });
  });

  it('given a member, when they set a key, then chatroom.attribute.changed (type 1) with their id', () => {
    const [e] = when(given(created, joined), { ...setAttr(), extra: 'x' } as ChatroomCommand);
    expect(e).toEqual({
      type: 'chatroom.attribute.changed',
      data: { chatroomId: room, type: 1, key: 'k', value: 'v', userId: 'ann', autoDelete: false, extra: 'x', reason: 'set', updatedAt: now },
    });
  });

  it('given a key set by another user, when set with overwrite false, then 409; with overwrite true, then set', () => {
    const state = given(created, joined, set('k', 'bob'));
    expect(refusal(state, setAttr(ann, 'k', false))).toEqual({ code: 'ATTRIBUTE_SET_BY_OTHER', status: 409 });
    expect(when(state, setAttr(ann, 'k', true))).toHaveLength(1);
  });

  it('given a key the caller set, when set again with overwrite false, then it is theirs to change', () => {
    expect(when(given(created, joined, set('k', 'ann')), setAttr(ann, 'k', false))).toHaveLength(1);
  });

  it('given 100 keys, when a 101st is set, then 422 CHATROOM_ATTRIBUTES_FULL; an existing key may still change', () => {
    const full = given(created, joined, ...Array.from({ length: 100 }, (_, i) => set(`k${i}`, 'ann')));
    expect(refusal(full, setAttr(ann, 'k100'))).toEqual({ code: 'CHATROOM_ATTRIBUTES_FULL', status: 422 });
    expect(when(full, setAttr(ann, 'k5'))).toHaveLength(1);
  });

  it('given a key set by another user, when a user deletes it, then 403; the server key may', () => {
    const state = given(created, joined, set('k', 'bob'));
    expect(refusal(state, { type: 'deleteAttribute', chatroomId: room, actor: ann, key: 'k' })).toEqual({ code: 'FORBIDDEN', status: 403 });
    const [e] = when(state, { type: 'deleteAttribute', chatroomId: room, actor: server, key: 'k' });
    expect(e).toMatchObject({ type: 'chatroom.attribute.changed', data: { type: 2, key: 'k', value: 'v-k', reason: 'deleted' } });
  });

  it('given no such key, when deleted, then 404', () => {
    expect(refusal(given(created, joined), { type: 'deleteAttribute', chatroomId: room, actor: ann, key: 'nope' }).status).toBe(404);
  });

  it("given a member with autoDelete keys, when they leave, then left and each of their autoDelete keys deleted; others' keys stay", () => {
    const state = given(created, joined, set('mine', 'ann', true), set('kept', 'ann', false), set('theirs', 'bob', true));
    const events = when(state, { type: 'leave', chatroomId: room, userId: 'ann' });
    expect(events.map((e) => e.type)).toEqual(['chatroom.member.left', 'chatroom.attribute.changed']);
    expect(events[1]).toMatchObject({ data: { type: 2, key: 'mine', reason: 'setter-left' } });
    expect([...events.reduce(evolve, state).attributes.keys()]).toEqual(['kept', 'theirs']);
  });

  it('given a non-member, when they leave, then 404', () => {
    expect(refusal(given(created), { type: 'leave', chatroomId: room, userId: 'ann' }).status).toBe(404);
  });
});
