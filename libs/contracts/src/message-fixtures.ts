/**
 * Example contents of every built-in message type, for tests: one valid content per objectName
 * (the seeds' own examples where they have one) and malformed variants, each with the field the
 * validation error must name (the zod issue path joined with '.', relative to the content).
 */

export interface InvalidContent {
  name: string;
  content: Record<string, unknown>;
  path: string;
}

/** A short, valid base64 thumbnail (no data URI prefix, no line breaks). */
const THUMB = '/9j/4AAQSkZJRgABAgAAZABkAAA=';
/** One character over the 10 KB thumbnail limit. */
const OVERSIZE_THUMB = 'A'.repeat(10 * 1024 + 1);
const LONG_URL = `https://cdn.example.com/${'a'.repeat(2048)}`;
const MESSAGE_UID = 'BKCP-VBUT-0006-9GPP';

const USER = { id: '4242', name: 'Robin', portrait: 'http://example.com/p1.png', extra: 'extra' };

export const VALID_CONTENT: Record<string, Record<string, unknown>> = {
  'RC:TxtMsg': {
    content: '@Alice Hello world!',
    mentionedInfo: { type: 2, userIdList: ['zhangsan'], mentionedContent: 'Someone mentioned you' },
    user: USER,
    extra: '',
  },
  'RC:ImgMsg': { content: THUMB, localPath: '', imageUri: 'http://p1.cdn.com/fds78ruhi.jpg', user: USER, extra: '' },
  'RC:GIFMsg': {
    gifDataSize: 34563,
    height: 246,
    localPath: '/var/mobile/.../GIF_53',
    remoteUrl: 'https://rongcloud-image.cn.ronghub.com/image_jpe64562665566.gif',
    width: 263,
    user: USER,
    extra: '',
  },
  'RC:HQVCMsg': {
    localPath: '/9j/4AAQSkZ/2wBaSiimB//9k=',
    remoteUrl: 'http://p1.cdn.com/fds78ruhi.aac',
    duration: 7,
    user: USER,
    extra: '',
  },
  'RC:FileMsg': {
    name: 'file.txt',
    size: 190184,
    type: 'txt',
    localPath: '',
    fileUrl: 'http://www.demo.com/am.ind',
    user: USER,
    extra: '',
  },
  'RC:SightMsg': {
    sightUrl: 'http://rongcloud.example.com/video.mp4',
    content: '/9j/4AAQSkZ/2wBDSaSiimB//9k=',
    duration: 2,
    size: 734320,
    name: 'video_xx.mp4',
    user: USER,
    extra: 'extra',
  },
  'RC:LBSMsg': {
    content: 'bhZPzJXimRwrtvc=',
    latitude: 39.9139,
    longitude: 116.3917,
    poi: 'Nexconn Inc.',
    user: USER,
    extra: '',
  },
  'RC:ReferenceMsg': {
    content: 'This is a reply to the quoted message!',
    referMsgUserId: '432432',
    objName: 'RC:TxtMsg',
    referMsg: { content: 'Hello world!', extra: '' },
    mentionedInfo: { type: 2, userIdList: ['123', '456'], mentionedContent: 'Someone mentioned you' },
    user: USER,
    extra: '',
  },
  'RC:CombineMsg': {
    localPath: 'file:///storage/emulated/0/.../157829828.html',
    remoteUrl: 'https://rongcloud-html-cn.ronghub.com/text_plain__RC-2019-12-17_754_157130.html?e=1592Q=',
    conversationType: 1,
    nameList: ['Alice', 'Bob'],
    summaryList: ['Alice: Hello', 'Bob: Hi there', 'Bob: How are you', 'Alice: Good'],
  },
  'RC:ImgTextMsg': {
    title: 'Title',
    content: 'Description',
    imageUri: 'http://p1.cdn.com/fds78ruhi.jpg',
    url: 'http://www.example.com',
    user: { id: '4242', name: 'Robin', icon: 'http://example.com/p1.png', extra: 'extra' },
    extra: '',
  },
  // The seed's example without its messageUID: the first chunk gets its messageUId from the server.
  'RC:StreamMsg': {
    content: '# stream-content1',
    complete: false,
    seq: 1,
    type: 'markdown',
    mentionedInfo: { type: 2, userIdList: ['123', '456'] },
    user: { id: '4242', name: 'Robin', portrait: 'http://example.com/p1.png', extra: { k1: 'v1' } },
    extra: { k1: 'v1' },
  },
  'RC:InfoNtf': { message: 'You claimed the red packet from Alice', extra: '' },
  'RC:CmdMsg': { name: 'AtPerson', data: '{"sourceId":"9527"}' },
  'RC:RcCmd': {
    MessageUId: MESSAGE_UID,
    TargetId: 'groupA',
    SentTime: '1610941689734',
    ConversationType: '3',
    isAdmin: false,
    isDelete: false,
  },
  'RC:ReadNtf': { lastMessageSendTime: 1408706337, messageUId: MESSAGE_UID, type: 1 },
  'RC:RRReqMsg': { messageUId: '596E-P5PG-4FS2-7OJK' },
  'RC:RRRspMsg': { receiptMessageDic: { wX7zFv8dR: ['BJN3-LSG0-7MUC-OR7A'] } },
  'RC:SRSMsg': { lastMessageSendTime: 1610941689734 },
  'RC:chrmKVNotiMsg': { type: 1, key: 'name', value: '主播', extra: '' },
};

/** The valid content of a type with one field removed. */
function without(objectName: string, field: string): Record<string, unknown> {
  const { [field]: _removed, ...rest } = VALID_CONTENT[objectName];
  return rest;
}

/** The valid content of a type with some fields replaced. */
function withFields(objectName: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { ...VALID_CONTENT[objectName], ...fields };
}

function missing(objectName: string, field: string): InvalidContent {
  return { name: `missing ${field}`, content: without(objectName, field), path: field };
}

export const INVALID_CONTENT: Record<string, InvalidContent[]> = {
  'RC:TxtMsg': [
    missing('RC:TxtMsg', 'content'),
    { name: 'content not a string', content: withFields('RC:TxtMsg', { content: 42 }), path: 'content' },
    {
      name: 'mention of users without userIdList',
      content: withFields('RC:TxtMsg', { mentionedInfo: { type: 2 } }),
      path: 'mentionedInfo.userIdList',
    },
    {
      name: 'mentionedContent over 1024 characters',
      content: withFields('RC:TxtMsg', { mentionedInfo: { type: 1, mentionedContent: 'x'.repeat(1025) } }),
      path: 'mentionedInfo.mentionedContent',
    },
    { name: 'user not an object', content: withFields('RC:TxtMsg', { user: 'Robin' }), path: 'user' },
  ],
  'RC:ImgMsg': [
    missing('RC:ImgMsg', 'imageUri'),
    missing('RC:ImgMsg', 'content'),
    { name: 'imageUri not a string', content: withFields('RC:ImgMsg', { imageUri: 12 }), path: 'imageUri' },
    { name: 'thumbnail over 10 KB', content: withFields('RC:ImgMsg', { content: OVERSIZE_THUMB }), path: 'content' },
    {
      name: 'thumbnail with a data URI prefix',
      content: withFields('RC:ImgMsg', { content: `data:image/jpeg;base64,${THUMB}` }),
      path: 'content',
    },
    {
      name: 'thumbnail with line breaks',
      content: withFields('RC:ImgMsg', { content: '/9j/4AAQ\r\nSkZJRgAB' }),
      path: 'content',
    },
  ],
  'RC:GIFMsg': [
    missing('RC:GIFMsg', 'remoteUrl'),
    { name: 'width not a number', content: withFields('RC:GIFMsg', { width: '263' }), path: 'width' },
    { name: 'height not a whole number', content: withFields('RC:GIFMsg', { height: 246.5 }), path: 'height' },
    { name: 'negative gifDataSize', content: withFields('RC:GIFMsg', { gifDataSize: -1 }), path: 'gifDataSize' },
  ],
  'RC:HQVCMsg': [
    missing('RC:HQVCMsg', 'duration'),
    missing('RC:HQVCMsg', 'remoteUrl'),
    { name: 'duration not a number', content: withFields('RC:HQVCMsg', { duration: '7' }), path: 'duration' },
    { name: 'voice over 60 s', content: withFields('RC:HQVCMsg', { duration: 61 }), path: 'duration' },
    { name: 'remoteUrl over 2048 characters', content: withFields('RC:HQVCMsg', { remoteUrl: LONG_URL }), path: 'remoteUrl' },
  ],
  'RC:FileMsg': [
    missing('RC:FileMsg', 'fileUrl'),
    missing('RC:FileMsg', 'size'),
    { name: 'size not a number', content: withFields('RC:FileMsg', { size: 'big' }), path: 'size' },
    { name: 'type not a string', content: withFields('RC:FileMsg', { type: 3 }), path: 'type' },
    { name: 'name over 256 characters', content: withFields('RC:FileMsg', { name: `${'f'.repeat(257)}.txt` }), path: 'name' },
  ],
  'RC:SightMsg': [
    missing('RC:SightMsg', 'sightUrl'),
    missing('RC:SightMsg', 'name'),
    { name: 'duration not a number', content: withFields('RC:SightMsg', { duration: 'long' }), path: 'duration' },
    { name: 'video over 120 s', content: withFields('RC:SightMsg', { duration: 121 }), path: 'duration' },
    { name: 'thumbnail over 10 KB', content: withFields('RC:SightMsg', { content: OVERSIZE_THUMB }), path: 'content' },
  ],
  'RC:LBSMsg': [
    missing('RC:LBSMsg', 'poi'),
    { name: 'longitude not a number', content: withFields('RC:LBSMsg', { longitude: '116.3917' }), path: 'longitude' },
    { name: 'latitude out of range', content: withFields('RC:LBSMsg', { latitude: 91 }), path: 'latitude' },
    {
      name: 'thumbnail with a data URI prefix',
      content: withFields('RC:LBSMsg', { content: 'data:image/jpeg;base64,bhZPzJXimRwrtvc=' }),
      path: 'content',
    },
    { name: 'thumbnail over 10 KB', content: withFields('RC:LBSMsg', { content: OVERSIZE_THUMB }), path: 'content' },
  ],
  'RC:ReferenceMsg': [
    missing('RC:ReferenceMsg', 'referMsg'),
    missing('RC:ReferenceMsg', 'referMsgUserId'),
    { name: 'quote of an unquotable type', content: withFields('RC:ReferenceMsg', { objName: 'RC:HQVCMsg' }), path: 'objName' },
    { name: 'referMsg not an object', content: withFields('RC:ReferenceMsg', { referMsg: 'Hello world!' }), path: 'referMsg' },
    {
      name: 'quoted text without its content',
      content: withFields('RC:ReferenceMsg', { referMsg: { extra: '' } }),
      path: 'referMsg.content',
    },
    {
      name: 'quoted image without imageUri',
      content: withFields('RC:ReferenceMsg', { objName: 'RC:ImgMsg', referMsg: { content: THUMB } }),
      path: 'referMsg.imageUri',
    },
    {
      name: 'quoted file with a wrong size',
      content: withFields('RC:ReferenceMsg', {
        objName: 'RC:FileMsg',
        referMsg: { name: 'a.txt', size: 'big', type: 'txt', fileUrl: 'http://www.demo.com/a.txt' },
      }),
      path: 'referMsg.size',
    },
  ],
  'RC:CombineMsg': [
    missing('RC:CombineMsg', 'remoteUrl'),
    missing('RC:CombineMsg', 'summaryList'),
    { name: 'conversationType not 1 or 3', content: withFields('RC:CombineMsg', { conversationType: 2 }), path: 'conversationType' },
    { name: 'nameList not an array', content: withFields('RC:CombineMsg', { nameList: 'Alice,Bob' }), path: 'nameList' },
    {
      name: 'summaryList over 4 entries',
      content: withFields('RC:CombineMsg', { summaryList: ['a', 'b', 'c', 'd', 'e'] }),
      path: 'summaryList',
    },
  ],
  'RC:ImgTextMsg': [
    missing('RC:ImgTextMsg', 'url'),
    missing('RC:ImgTextMsg', 'title'),
    { name: 'imageUri not a string', content: withFields('RC:ImgTextMsg', { imageUri: ['x'] }), path: 'imageUri' },
    { name: 'title over 256 characters', content: withFields('RC:ImgTextMsg', { title: 't'.repeat(257) }), path: 'title' },
  ],
  'RC:StreamMsg': [
    missing('RC:StreamMsg', 'content'),
    missing('RC:StreamMsg', 'seq'),
    { name: 'complete not a boolean', content: withFields('RC:StreamMsg', { complete: 'no' }), path: 'complete' },
    { name: 'first chunk with seq 2', content: withFields('RC:StreamMsg', { seq: 2 }), path: 'seq' },
    { name: 'first chunk with a messageUID', content: withFields('RC:StreamMsg', { messageUID: 'xxxx' }), path: 'messageUID' },
    { name: 'unknown stream type', content: withFields('RC:StreamMsg', { type: 'pdf' }), path: 'type' },
    { name: 'extra value not a string', content: withFields('RC:StreamMsg', { extra: { k1: 1 } }), path: 'extra.k1' },
  ],
  'RC:InfoNtf': [
    missing('RC:InfoNtf', 'message'),
    { name: 'message not a string', content: withFields('RC:InfoNtf', { message: { text: 'hi' } }), path: 'message' },
    { name: 'message over 1024 characters', content: withFields('RC:InfoNtf', { message: 'm'.repeat(1025) }), path: 'message' },
  ],
  'RC:CmdMsg': [
    missing('RC:CmdMsg', 'data'),
    missing('RC:CmdMsg', 'name'),
    { name: 'data not a string', content: withFields('RC:CmdMsg', { data: { sourceId: '9527' } }), path: 'data' },
    { name: 'name over 128 characters', content: withFields('RC:CmdMsg', { name: 'n'.repeat(129) }), path: 'name' },
  ],
  'RC:RcCmd': [
    missing('RC:RcCmd', 'MessageUId'),
    missing('RC:RcCmd', 'isDelete'),
    { name: 'isAdmin not a boolean', content: withFields('RC:RcCmd', { isAdmin: 'true' }), path: 'isAdmin' },
    { name: 'MessageUId not a messageUId', content: withFields('RC:RcCmd', { MessageUId: 'abc' }), path: 'MessageUId' },
  ],
  'RC:ReadNtf': [
    missing('RC:ReadNtf', 'lastMessageSendTime'),
    missing('RC:ReadNtf', 'type'),
    { name: 'type of a group', content: withFields('RC:ReadNtf', { type: 3 }), path: 'type' },
    { name: 'time not a whole number', content: withFields('RC:ReadNtf', { lastMessageSendTime: 1408706337.5 }), path: 'lastMessageSendTime' },
    { name: 'messageUId not a messageUId', content: withFields('RC:ReadNtf', { messageUId: 'XXXXXX' }), path: 'messageUId' },
  ],
  'RC:RRReqMsg': [
    missing('RC:RRReqMsg', 'messageUId'),
    { name: 'messageUId not a string', content: { messageUId: 596 }, path: 'messageUId' },
    { name: 'messageUId not a messageUId', content: { messageUId: 'not-a-uid' }, path: 'messageUId' },
  ],
  'RC:RRRspMsg': [
    missing('RC:RRRspMsg', 'receiptMessageDic'),
    { name: 'receiptMessageDic not an object', content: { receiptMessageDic: '{}' }, path: 'receiptMessageDic' },
    {
      name: 'receiptMessageDic value not an array',
      content: { receiptMessageDic: { wX7zFv8dR: 'BJN3-LSG0-7MUC-OR7A' } },
      path: 'receiptMessageDic.wX7zFv8dR',
    },
    {
      name: 'receiptMessageDic entry not a messageUId',
      content: { receiptMessageDic: { wX7zFv8dR: ['nope'] } },
      path: 'receiptMessageDic.wX7zFv8dR.0',
    },
  ],
  'RC:SRSMsg': [
    missing('RC:SRSMsg', 'lastMessageSendTime'),
    { name: 'time not a number', content: { lastMessageSendTime: '1610941689734' }, path: 'lastMessageSendTime' },
    { name: 'negative time', content: { lastMessageSendTime: -1 }, path: 'lastMessageSendTime' },
  ],
  'RC:chrmKVNotiMsg': [
    missing('RC:chrmKVNotiMsg', 'key'),
    missing('RC:chrmKVNotiMsg', 'value'),
    { name: 'type not 1 or 2', content: withFields('RC:chrmKVNotiMsg', { type: 3 }), path: 'type' },
    { name: 'key over 128 characters', content: withFields('RC:chrmKVNotiMsg', { key: 'k'.repeat(129) }), path: 'key' },
    { name: 'value over 4096 characters', content: withFields('RC:chrmKVNotiMsg', { value: 'v'.repeat(4097) }), path: 'value' },
  ],
};
