import { z } from 'zod';
import { EntityId } from './ids';

/**
 * The message-type catalogue: for each objectName its content schema and the flags that decide
 * what happens to a message (stored, counted, status) and its default push text.
 */
export interface MessageTypeFlags {
  isPersisted: boolean;
  isCounted: boolean;
  isStatus: boolean;
}

export interface MessageTypeDefinition extends MessageTypeFlags {
  objectName: string;
  content: z.ZodType<Record<string, unknown>>;
  /** Default push text for this content, or null when the type is not pushed by default. */
  pushText(content: Record<string, unknown>): string | null;
}

/** The whole content of any message, serialised, is at most this many bytes. */
export const MAX_CONTENT_BYTES = 128 * 1024;

export const MentionedInfo = z
  .object({
    type: z.union([z.literal(1), z.literal(2)], { error: 'mentionedInfo.type is 1 (all) or 2 (users)' }),
    userIdList: z.array(EntityId).max(1000).optional(),
    mentionedContent: z.string().max(1024).optional(),
  })
  .refine((m) => m.type !== 2 || (m.userIdList?.length ?? 0) > 0, {
    message: 'userIdList is required when mentionedInfo.type is 2',
    path: ['userIdList'],
  });
export type MentionedInfo = z.infer<typeof MentionedInfo>;

/** The sender info a client may embed in content. */
const EmbeddedUser = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  portrait: z.string().optional(),
  extra: z.string().optional(),
});

const common = { user: EmbeddedUser.optional(), extra: z.string().optional() };

export const TxtMsgContent = z.looseObject({
  content: z.string({ error: 'content is a required string' }),
  mentionedInfo: MentionedInfo.optional(),
  ...common,
});

const builtIns: MessageTypeDefinition[] = [
  {
    objectName: 'RC:TxtMsg',
    isPersisted: true,
    isCounted: true,
    isStatus: false,
    content: TxtMsgContent,
    pushText: (c) => String(c.content),
  },
];

export const BUILT_IN_MESSAGE_TYPES: ReadonlyMap<string, MessageTypeDefinition> = new Map(
  builtIns.map((t) => [t.objectName, t]),
);
