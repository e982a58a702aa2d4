import { z } from 'zod';
import type { MessagingReplies } from '../rpc/messaging.rpc';
import { MessageView } from './messaging.responses';
import { mirror } from './mirror';

/** Reply schemas of the chatroom routes (`chatrooms.*` in `rpc/messaging.rpc.ts`). */
const chatroomFields = { chatroomId: z.string(), name: z.string(), memberCount: z.number().int() };

export const ChatroomView = mirror<MessagingReplies['chatrooms.get']>()(z.object(chatroomFields).meta({ id: 'Chatroom' }));

export const ChatroomJoined = mirror<MessagingReplies['chatrooms.join']>()(
  z.object({ ...chatroomFields, messages: z.array(MessageView).describe('the latest messages (up to 50), newest first') }),
);

export const ChatroomDeleted = mirror<MessagingReplies['chatrooms.delete']>()(z.object({ chatroomId: z.string(), deleted: z.literal(true) }));

export const ChatroomLeft = mirror<MessagingReplies['chatrooms.leave']>()(z.object({ chatroomId: z.string(), left: z.literal(true) }));

const attributeFields = { value: z.string(), userId: z.string().describe('who set it'), updatedAt: z.number().int() };

export const ChatroomAttributeSet = mirror<MessagingReplies['chatrooms.attributes.set']>()(z.object({ key: z.string(), ...attributeFields }));

export const ChatroomAttributeDeleted = mirror<MessagingReplies['chatrooms.attributes.delete']>()(
  z.object({ key: z.string(), deleted: z.literal(true) }),
);

export const ChatroomAttributes = mirror<MessagingReplies['chatrooms.attributes.list']>()(
  z.object({ attributes: z.record(z.string(), z.object(attributeFields)) }).meta({ id: 'ChatroomAttributes' }),
);
