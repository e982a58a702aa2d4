import { z } from 'zod';
import {
  ChrmKVNotiMsgContent,
  CmdMsgContent,
  CombineMsgContent,
  FileMsgContent,
  GIFMsgContent,
  HQVCMsgContent,
  ImgMsgContent,
  ImgTextMsgContent,
  InfoNtfContent,
  LBSMsgContent,
  RcCmdContent,
  ReadNtfContent,
  ReferenceMsgContent,
  RRReqMsgContent,
  RRRspMsgContent,
  SightMsgContent,
  SRSMsgContent,
  StreamMsgContent,
  TxtMsgContent,
} from './message-content';

export * from './message-content';

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
  /**
   * Set for the signals the server produces itself (receipts): the endpoint that produces them.
   * `POST /v1/messages` refuses such a type and names this endpoint instead.
   */
  producedBy?: string;
}

/** The whole content of any message, serialised, is at most this many bytes. */
export const MAX_CONTENT_BYTES = 128 * 1024;

/**
 * A custom objectName (registered at run time): 1-32 characters of A-Z a-z 0-9 _ : . -, not
 * starting with `RC:` (reserved for the built-ins).
 */
export const CUSTOM_TYPE_NAME = /^(?!RC:)[A-Za-z0-9_:.\-]{1,32}$/;

/** Content of a custom type: any JSON object. */
export const CustomMessageContent = z.record(z.string(), z.unknown(), { error: 'content is a JSON object' });

export interface CustomMessageTypeFlags extends MessageTypeFlags {
  /** The push text of every message of this type; none when absent. */
  pushContent?: string;
}

/**
 * The definition of a custom type registered at run time. A status type is never stored, never
 * counted and never pushed, whatever flags were given.
 */
export function customMessageType(objectName: string, flags: CustomMessageTypeFlags): MessageTypeDefinition {
  if (!CUSTOM_TYPE_NAME.test(objectName)) {
    throw new RangeError(`${objectName} is not a valid custom objectName (1-32 of A-Z a-z 0-9 _ : . -, not starting with RC:)`);
  }
  const isStatus = flags.isStatus;
  const pushContent = isStatus ? null : (flags.pushContent ?? null);
  return {
    objectName,
    isStatus,
    isPersisted: isStatus ? false : flags.isPersisted,
    isCounted: isStatus ? false : flags.isCounted,
    content: CustomMessageContent,
    pushText: () => pushContent,
  };
}

/** Endpoints that produce the receipt signals. */
const READ_ENDPOINT = 'POST /v1/conversations/{type}/{targetId}/read';

const STORED_COUNTED = { isPersisted: true, isCounted: true, isStatus: false } as const;
const STORED_ONLY = { isPersisted: true, isCounted: false, isStatus: false } as const;
const NOT_STORED = { isPersisted: false, isCounted: false, isStatus: false } as const;

const fixed = (text: string | null) => (): string | null => text;
const theText = (c: Record<string, unknown>): string => (typeof c.content === 'string' ? c.content : '');

const builtIns: MessageTypeDefinition[] = [
  { objectName: 'RC:TxtMsg', ...STORED_COUNTED, content: TxtMsgContent, pushText: theText },
  { objectName: 'RC:ImgMsg', ...STORED_COUNTED, content: ImgMsgContent, pushText: fixed('[Image]') },
  { objectName: 'RC:GIFMsg', ...STORED_COUNTED, content: GIFMsgContent, pushText: fixed('[Image]') },
  { objectName: 'RC:HQVCMsg', ...STORED_COUNTED, content: HQVCMsgContent, pushText: fixed('[Voice]') },
  {
    objectName: 'RC:FileMsg',
    ...STORED_COUNTED,
    content: FileMsgContent,
    pushText: (c) => (typeof c.name === 'string' && c.name !== '' ? `[File] ${c.name}` : '[File]'),
  },
  { objectName: 'RC:SightMsg', ...STORED_COUNTED, content: SightMsgContent, pushText: fixed('[Video]') },
  { objectName: 'RC:LBSMsg', ...STORED_COUNTED, content: LBSMsgContent, pushText: fixed('[Location]') },
  { objectName: 'RC:ReferenceMsg', ...STORED_COUNTED, content: ReferenceMsgContent, pushText: theText },
  { objectName: 'RC:CombineMsg', ...STORED_COUNTED, content: CombineMsgContent, pushText: fixed('[Chat History]') },
  { objectName: 'RC:ImgTextMsg', ...STORED_COUNTED, content: ImgTextMsgContent, pushText: fixed('[Rich Content]') },
  /** The push of a stream is the text so far: the push service holds it until `complete` or a delay after this first chunk. */
  { objectName: 'RC:StreamMsg', ...STORED_COUNTED, content: StreamMsgContent, pushText: theText },
  { objectName: 'RC:InfoNtf', ...STORED_ONLY, content: InfoNtfContent, pushText: fixed(null) },
  /** Not pushed unless the sender gives pushContent (then pushed though not stored). */
  { objectName: 'RC:CmdMsg', ...NOT_STORED, content: CmdMsgContent, pushText: fixed(null) },
  { objectName: 'RC:RcCmd', ...STORED_ONLY, content: RcCmdContent, pushText: fixed('recalled a message') },
  { objectName: 'RC:ReadNtf', ...NOT_STORED, content: ReadNtfContent, pushText: fixed(null), producedBy: READ_ENDPOINT },
  {
    objectName: 'RC:RRReqMsg',
    ...NOT_STORED,
    content: RRReqMsgContent,
    pushText: fixed(null),
    producedBy: 'POST /v1/messages/{messageUId}/receipt-request',
  },
  { objectName: 'RC:RRRspMsg', ...NOT_STORED, content: RRRspMsgContent, pushText: fixed(null), producedBy: 'POST /v1/receipts' },
  { objectName: 'RC:SRSMsg', ...NOT_STORED, content: SRSMsgContent, pushText: fixed(null), producedBy: READ_ENDPOINT },
  { objectName: 'RC:chrmKVNotiMsg', ...STORED_ONLY, content: ChrmKVNotiMsgContent, pushText: fixed(null) },
];

export const BUILT_IN_MESSAGE_TYPES: ReadonlyMap<string, MessageTypeDefinition> = new Map(
  builtIns.map((t) => [t.objectName, t]),
);
