import { BUILT_IN_MESSAGE_TYPES } from './message-types';

/**
 * The content field names of every built-in type, copied from the seeds' "content structure"
 * tables (user content messages, signaling messages; RC:InfoNtf is RongCloud's
 * InformationNotificationMessage). A client written against RongCloud reads these names, so the
 * catalogue's schemas must know each of them, spelled exactly so (`MessageUId`, not `messageUId`).
 */
const SEED_FIELDS: Record<string, string[]> = {
  'RC:TxtMsg': ['content', 'mentionedInfo', 'user', 'extra'],
  'RC:ImgMsg': ['content', 'name', 'localPath', 'imageUri', 'user', 'extra'],
  'RC:GIFMsg': ['gifDataSize', 'name', 'localPath', 'remoteUrl', 'width', 'height', 'user', 'extra'],
  'RC:HQVCMsg': ['name', 'localPath', 'remoteUrl', 'duration', 'user', 'extra'],
  'RC:FileMsg': ['name', 'size', 'type', 'localPath', 'fileUrl', 'user', 'extra'],
  'RC:SightMsg': ['sightUrl', 'content', 'duration', 'size', 'name', 'user', 'extra'],
  'RC:LBSMsg': ['content', 'latitude', 'longitude', 'poi', 'user', 'extra'],
  'RC:ReferenceMsg': ['content', 'referMsgUserId', 'referMsg', 'objName', 'mentionedInfo', 'user', 'extra'],
  'RC:CombineMsg': ['localPath', 'remoteUrl', 'conversationType', 'nameList', 'summaryList'],
  'RC:ImgTextMsg': ['title', 'content', 'imageUri', 'url', 'user', 'extra'],
  'RC:StreamMsg': ['content', 'seq', 'complete', 'completeReason', 'type', 'messageUID', 'user', 'mentionedInfo', 'extra'],
  'RC:InfoNtf': ['message', 'extra'],
  'RC:CmdMsg': ['name', 'data'],
  'RC:RcCmd': ['MessageUId', 'TargetId', 'ChannelId', 'SentTime', 'ConversationType', 'isAdmin', 'isDelete'],
  'RC:ReadNtf': ['lastMessageSendTime', 'messageUId', 'type'],
  'RC:RRReqMsg': ['messageUId'],
  'RC:RRRspMsg': ['receiptMessageDic'],
  'RC:SRSMsg': ['lastMessageSendTime'],
  'RC:chrmKVNotiMsg': ['type', 'key', 'value', 'extra'],
};

/** Fields every content may carry besides its own (the seeds' embedded sender info and extra). */
const COMMON = ['user', 'extra'];

const fieldsOf = (objectName: string): string[] => Object.keys((BUILT_IN_MESSAGE_TYPES.get(objectName)!.content as unknown as { shape: object }).shape);

describe("the catalogue keeps the seeds' content field names", () => {
  it('covers every built-in type', () => {
    expect(Object.keys(SEED_FIELDS).sort()).toEqual([...BUILT_IN_MESSAGE_TYPES.keys()].sort());
  });

  it.each(Object.entries(SEED_FIELDS))('%s knows exactly the seed fields', (objectName, seed) => {
    expect(fieldsOf(objectName).sort()).toEqual([...new Set([...seed, ...COMMON])].sort());
  });
});
