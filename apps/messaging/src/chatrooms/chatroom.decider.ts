import { ChatroomAttributeView, Errors, EventData, MAX_CHATROOM_ATTRIBUTES, newEvent, NewEvent } from '@im/contracts';

/**
 * A chatroom's rules (PRODUCT.md "Chatrooms"): `decide` turns a command and the state it needs
 * into events (or refuses), `evolve` folds an event into that state. The service loads the state
 * under the chatroom's lock, decides, appends, and writes its rows from the same events.
 *
 * The state is what one command needs, not the whole room: whether the room exists, whether the
 * caller is in it, and the attributes (at most 100). A room of 10,000 costs the same.
 */
export interface ChatroomState {
  name: string | null;
  /** Whether the acting user is a member. */
  member: boolean;
  attributes: Map<string, Attribute>;
}

export interface Attribute extends ChatroomAttributeView {
  autoDelete: boolean;
}

/** Who acts: a user (token, or the server key with X-User-Id), and whether with the server key. */
export interface ChatroomActor {
  userId: string;
  isServer: boolean;
}

export type ChatroomCommand =
  | { type: 'upsert'; chatroomId: string; name: string }
  | { type: 'delete'; chatroomId: string }
  | { type: 'join'; chatroomId: string; userId: string }
  | { type: 'leave'; chatroomId: string; userId: string }
  | { type: 'setAttribute'; chatroomId: string; actor: ChatroomActor; key: string; value: string; overwrite: boolean; autoDelete: boolean; extra?: string }
  | { type: 'deleteAttribute'; chatroomId: string; actor: ChatroomActor; key: string; extra?: string };

type Changed = EventData<'chatroom.attribute.changed'>;

export const initialState = (): ChatroomState => ({ name: null, member: false, attributes: new Map() });

export function decide(command: ChatroomCommand, state: ChatroomState, { now }: { now: number }): NewEvent[] {
  const { chatroomId } = command;
  if (command.type === 'upsert') {
    return state.name === command.name ? [] : [newEvent('chatroom.upserted', { chatroomId, name: command.name })];
  }
  if (state.name === null) throw Errors.notFound('chatroom');
  switch (command.type) {
    case 'delete':
      return [newEvent('chatroom.deleted', { chatroomId })];
    case 'join':
      return state.member ? [] : [newEvent('chatroom.member.joined', { chatroomId, userId: command.userId })];
    case 'leave': {
      if (!state.member) throw Errors.notFound('chatroom member');
      // Their autoDelete keys go with them, each announced like any other deletion.
      const gone = [...state.attributes]
        .filter(([, a]) => a.autoDelete && a.userId === command.userId)
        .map(([key, a]) => changed({ chatroomId, type: 2, key, value: a.value, userId: command.userId, autoDelete: true, reason: 'setter-left', updatedAt: now }));
      return [newEvent('chatroom.member.left', { chatroomId, userId: command.userId }), ...gone];
    }
    case 'setAttribute': {
      assertMember(command.actor, state);
      const current = state.attributes.get(command.key);
      if (!current && state.attributes.size >= MAX_CHATROOM_ATTRIBUTES) {
        throw Errors.unprocessable('CHATROOM_ATTRIBUTES_FULL', `a chatroom has at most ${MAX_CHATROOM_ATTRIBUTES} attributes`, { limit: MAX_CHATROOM_ATTRIBUTES });
      }
      if (current && !command.overwrite && current.userId !== command.actor.userId) {
        throw Errors.conflict('ATTRIBUTE_SET_BY_OTHER', `${command.key} was set by another user and overwrite is false`, { key: command.key });
      }
      const { key, value, autoDelete, extra } = command;
      return [changed({ chatroomId, type: 1, key, value, userId: command.actor.userId, autoDelete, extra, reason: 'set', updatedAt: now })];
    }
    case 'deleteAttribute': {
      assertMember(command.actor, state);
      const current = state.attributes.get(command.key);
      if (!current) throw Errors.notFound('chatroom attribute');
      if (!command.actor.isServer && current.userId !== command.actor.userId) {
        throw Errors.forbidden('a user deletes only the attributes they set');
      }
      const { key, extra } = command;
      return [changed({ chatroomId, type: 2, key, value: current.value, userId: command.actor.userId, autoDelete: current.autoDelete, extra, reason: 'deleted', updatedAt: now })];
    }
  }
}

/** Only members send, read and change attributes; the server key acts for any user. */
function assertMember(actor: ChatroomActor, state: ChatroomState): void {
  if (!actor.isServer && !state.member) throw Errors.notFound('chatroom');
}

function changed({ extra, ...data }: Changed): NewEvent {
  return newEvent('chatroom.attribute.changed', extra === undefined ? data : { ...data, extra });
}

export function evolve(state: ChatroomState, event: NewEvent): ChatroomState {
  switch (event.type) {
    case 'chatroom.upserted':
      return { ...state, name: event.data.name };
    case 'chatroom.deleted':
      return initialState();
    case 'chatroom.member.joined':
      return { ...state, member: true };
    case 'chatroom.member.left':
      return { ...state, member: false };
    case 'chatroom.attribute.changed': {
      const c = event.data;
      const attributes = new Map(state.attributes);
      if (c.type === 1) attributes.set(c.key, { value: c.value, userId: c.userId, updatedAt: c.updatedAt, autoDelete: c.autoDelete });
      else attributes.delete(c.key);
      return { ...state, attributes };
    }
    default:
      return state;
  }
}

/** The RC:chrmKVNotiMsg content announcing a change, with the seed's field names. */
export function attributeNotice(c: Changed): { type: 1 | 2; key: string; value: string; extra: string } {
  return { type: c.type, key: c.key, value: c.value, extra: c.extra ?? '' };
}
