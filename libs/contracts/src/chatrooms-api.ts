import { z } from 'zod';

/** Request schemas of chatrooms (PRODUCT.md "Chatrooms"; the seed's RC:chrmKVNotiMsg limits). */
export const MAX_CHATROOM_ATTRIBUTES = 100;
/** What a joiner gets back: the latest messages, newest first. */
export const CHATROOM_JOIN_HISTORY = 50;

export const ChatroomAttributeKey = z
  .string()
  .regex(/^[A-Za-z0-9_+=-]{1,128}$/, 'an attribute key is 1 to 128 of A-Z a-z 0-9 _ + = -');

export const UpsertChatroomBody = z.strictObject({ name: z.string().min(1).max(128) });

const NotificationExtra = z.string().max(2048).optional().describe("carried as the notice's `extra`");

export const SetChatroomAttributeBody = z.strictObject({
  value: z.string().max(4096, 'value is at most 4096 characters'),
  overwrite: z.boolean().default(true).describe('false: refuse (409) when another user set the key'),
  autoDelete: z.boolean().default(false).describe('the key goes when its setter leaves the chatroom'),
  notificationExtra: NotificationExtra,
});

export const DeleteChatroomAttributeBody = z.strictObject({ notificationExtra: NotificationExtra });

export interface ChatroomView {
  chatroomId: string;
  name: string;
  memberCount: number;
}

export interface ChatroomAttributeView {
  value: string;
  userId: string;
  updatedAt: number;
}
