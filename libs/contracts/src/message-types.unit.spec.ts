import { INVALID_CONTENT, VALID_CONTENT } from './message-fixtures';
import {
  BUILT_IN_MESSAGE_TYPES,
  CUSTOM_TYPE_NAME,
  customMessageType,
  MAX_CONTENT_BYTES,
  MAX_THUMBNAIL_BASE64,
  MAX_VOICE_SECONDS,
  MessageTypeDefinition,
} from './message-types';

const SEED_TYPES = [
  'RC:TxtMsg',
  'RC:ImgMsg',
  'RC:GIFMsg',
  'RC:HQVCMsg',
  'RC:FileMsg',
  'RC:SightMsg',
  'RC:LBSMsg',
  'RC:ReferenceMsg',
  'RC:CombineMsg',
  'RC:ImgTextMsg',
  'RC:StreamMsg',
  'RC:InfoNtf',
  'RC:CmdMsg',
  'RC:RcCmd',
  'RC:ReadNtf',
  'RC:RRReqMsg',
  'RC:RRRspMsg',
  'RC:SRSMsg',
  'RC:chrmKVNotiMsg',
];

function def(objectName: string): MessageTypeDefinition {
  const found = BUILT_IN_MESSAGE_TYPES.get(objectName);
  if (!found) throw new Error(`${objectName} is not in the catalogue`);
  return found;
}

function issuePaths(objectName: string, content: Record<string, unknown>): string[] {
  const parsed = def(objectName).content.safeParse(content);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.map(String).join('.'));
}

describe('the built-in message-type catalogue', () => {
  it('holds exactly the built-ins of the seeds and PRODUCT.md', () => {
    expect([...BUILT_IN_MESSAGE_TYPES.keys()].sort()).toEqual([...SEED_TYPES].sort());
    for (const [name, d] of BUILT_IN_MESSAGE_TYPES) expect(d.objectName).toBe(name);
  });

  it('has fixtures for every built-in (no type forgotten)', () => {
    for (const name of BUILT_IN_MESSAGE_TYPES.keys()) {
      expect(VALID_CONTENT[name]).toBeDefined();
      expect(INVALID_CONTENT[name]?.length ?? 0).toBeGreaterThanOrEqual(3);
    }
    expect(Object.keys(VALID_CONTENT).sort()).toEqual([...BUILT_IN_MESSAGE_TYPES.keys()].sort());
    expect(Object.keys(INVALID_CONTENT).sort()).toEqual([...BUILT_IN_MESSAGE_TYPES.keys()].sort());
  });

  it('keeps the limits', () => {
    expect(MAX_CONTENT_BYTES).toBe(128 * 1024);
    expect(MAX_THUMBNAIL_BASE64).toBe(10 * 1024);
    expect(MAX_VOICE_SECONDS).toBe(60);
  });
});

describe.each(Object.entries(VALID_CONTENT))('valid %s content', (objectName, content) => {
  it('parses, keeping every field as sent', () => {
    const parsed = def(objectName).content.safeParse(content);
    if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues, null, 2));
    expect(parsed.data).toEqual(content);
  });

  it('keeps unknown extra keys', () => {
    const parsed = def(objectName).content.parse({ ...content, someFutureField: { a: 1 } });
    expect(parsed.someFutureField).toEqual({ a: 1 });
  });

  it('is within the content size limit', () => {
    expect(Buffer.byteLength(JSON.stringify(content))).toBeLessThan(MAX_CONTENT_BYTES);
  });
});

const invalidCases = Object.entries(INVALID_CONTENT).flatMap(([objectName, cases]) =>
  cases.map((c) => [objectName, c.name, c.path, c.content] as const),
);

describe('invalid content names the offending field', () => {
  it.each(invalidCases)('%s: %s -> %s', (objectName, _name, path, content) => {
    const paths = issuePaths(objectName, content);
    expect(paths).toContain(path);
    // Each fixture breaks one field: nothing else is reported.
    expect([...new Set(paths)]).toEqual([path]);
  });

  it('gives readable messages, naming the rule', () => {
    const messages = (objectName: string, content: Record<string, unknown>) => {
      const parsed = def(objectName).content.safeParse(content);
      return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
    };
    const img = VALID_CONTENT['RC:ImgMsg'];
    expect(messages('RC:ImgMsg', { ...img, content: 'data:image/png;base64,AAAA' }).join()).toMatch(/data URI prefix/);
    expect(messages('RC:ImgMsg', { ...img, content: 'AAAA\nAAAA' }).join()).toMatch(/line breaks/);
    expect(messages('RC:ImgMsg', { ...img, content: 'A'.repeat(MAX_THUMBNAIL_BASE64 + 1) }).join()).toMatch(/at most 10240/);
    expect(messages('RC:ImgMsg', { ...img, content: 'not base64!' }).join()).toMatch(/not base64/);
    expect(messages('RC:ImgMsg', { content: img.content }).join()).toMatch(/imageUri is required/);
    expect(messages('RC:HQVCMsg', { ...VALID_CONTENT['RC:HQVCMsg'], duration: 61 }).join()).toMatch(/at most 60 seconds/);
    expect(messages('RC:GIFMsg', { ...VALID_CONTENT['RC:GIFMsg'], width: 'wide' }).join()).toMatch(/width must be/);
    expect(messages('RC:ReferenceMsg', { ...VALID_CONTENT['RC:ReferenceMsg'], objName: 'RC:VcMsg' }).join()).toMatch(
      /RC:TxtMsg, RC:ImgMsg, RC:FileMsg/,
    );
  });

  it('accepts the thumbnail limit exactly', () => {
    const img = { ...VALID_CONTENT['RC:ImgMsg'], content: 'A'.repeat(MAX_THUMBNAIL_BASE64) };
    expect(def('RC:ImgMsg').content.safeParse(img).success).toBe(true);
    expect(def('RC:HQVCMsg').content.safeParse({ ...VALID_CONTENT['RC:HQVCMsg'], duration: MAX_VOICE_SECONDS }).success).toBe(true);
  });

  it('validates a quoted image and a quoted file against their own schemas', () => {
    const quote = VALID_CONTENT['RC:ReferenceMsg'];
    const quotedImage = { ...quote, objName: 'RC:ImgMsg', referMsg: VALID_CONTENT['RC:ImgMsg'] };
    const quotedFile = { ...quote, objName: 'RC:FileMsg', referMsg: VALID_CONTENT['RC:FileMsg'] };
    expect(issuePaths('RC:ReferenceMsg', quotedImage)).toEqual([]);
    expect(issuePaths('RC:ReferenceMsg', quotedFile)).toEqual([]);
    // The text quote does not satisfy the image schema: its text is no thumbnail, and no imageUri.
    expect(issuePaths('RC:ReferenceMsg', { ...quote, objName: 'RC:ImgMsg' }).sort()).toEqual(['referMsg.content', 'referMsg.imageUri']);
  });

  it('reports a bad quoted content even when another field is also wrong', () => {
    const quote = { ...VALID_CONTENT['RC:ReferenceMsg'], content: 1, referMsg: { content: 2 } };
    expect(issuePaths('RC:ReferenceMsg', quote).sort()).toEqual(['content', 'referMsg.content']);
  });

  it('accepts the seeds’ string sizes as well as numbers', () => {
    expect(issuePaths('RC:FileMsg', { ...VALID_CONTENT['RC:FileMsg'], size: '190184' })).toEqual([]);
    expect(issuePaths('RC:SightMsg', { ...VALID_CONTENT['RC:SightMsg'], size: '734320' })).toEqual([]);
  });
});

describe('flags', () => {
  const flags = (n: string) => {
    const d = def(n);
    return { stored: d.isPersisted, counted: d.isCounted, status: d.isStatus };
  };

  it.each([
    ['RC:TxtMsg', true, true],
    ['RC:ReferenceMsg', true, true],
    ['RC:ImgMsg', true, true],
    ['RC:GIFMsg', true, true],
    ['RC:HQVCMsg', true, true],
    ['RC:FileMsg', true, true],
    ['RC:SightMsg', true, true],
    ['RC:LBSMsg', true, true],
    ['RC:CombineMsg', true, true],
    ['RC:ImgTextMsg', true, true],
    ['RC:StreamMsg', true, true],
    ['RC:InfoNtf', true, false],
    ['RC:CmdMsg', false, false],
    ['RC:RcCmd', true, false],
    ['RC:ReadNtf', false, false],
    ['RC:RRReqMsg', false, false],
    ['RC:RRRspMsg', false, false],
    ['RC:SRSMsg', false, false],
    ['RC:chrmKVNotiMsg', true, false],
  ])('%s: stored %s, counted %s, not a status message', (name, stored, counted) => {
    expect(flags(name)).toEqual({ stored, counted, status: false });
  });

  it('marks the receipt signals with the endpoint that produces them, and nothing else', () => {
    const produced = Object.fromEntries(
      [...BUILT_IN_MESSAGE_TYPES.values()].filter((d) => d.producedBy).map((d) => [d.objectName, d.producedBy]),
    );
    expect(produced).toEqual({
      'RC:ReadNtf': 'POST /v1/conversations/{type}/{targetId}/read',
      'RC:SRSMsg': 'POST /v1/conversations/{type}/{targetId}/read',
      'RC:RRReqMsg': 'POST /v1/messages/{messageUId}/receipt-request',
      'RC:RRRspMsg': 'POST /v1/receipts',
    });
  });
});

describe('default push text', () => {
  it.each([
    ['RC:TxtMsg', '@Alice Hello world!'],
    ['RC:ReferenceMsg', 'This is a reply to the quoted message!'],
    ['RC:StreamMsg', '# stream-content1'],
    ['RC:ImgMsg', '[Image]'],
    ['RC:GIFMsg', '[Image]'],
    ['RC:HQVCMsg', '[Voice]'],
    ['RC:FileMsg', '[File] file.txt'],
    ['RC:SightMsg', '[Video]'],
    ['RC:LBSMsg', '[Location]'],
    ['RC:CombineMsg', '[Chat History]'],
    ['RC:ImgTextMsg', '[Rich Content]'],
    ['RC:RcCmd', 'recalled a message'],
    ['RC:InfoNtf', null],
    ['RC:CmdMsg', null],
    ['RC:ReadNtf', null],
    ['RC:RRReqMsg', null],
    ['RC:RRRspMsg', null],
    ['RC:SRSMsg', null],
    ['RC:chrmKVNotiMsg', null],
  ])('%s -> %p', (name, text) => {
    expect(def(name).pushText(VALID_CONTENT[name])).toBe(text);
  });

  it('is "[File]" for a file without a name', () => {
    const { name: _name, ...noName } = VALID_CONTENT['RC:FileMsg'];
    expect(def('RC:FileMsg').pushText(noName)).toBe('[File]');
  });
});

describe('custom message types', () => {
  it.each(['app:red_packet', 'RedPacket', 'a', 'x'.repeat(32), 'my.app-v2:thing', 'rc:lowercase'])('%s is a valid custom name', (n) => {
    expect(CUSTOM_TYPE_NAME.test(n)).toBe(true);
  });

  it.each(['RC:Custom', 'RC:TxtMsg', '', 'x'.repeat(33), 'has space', 'emoji😀', 'slash/name'])('%p is not a valid custom name', (n) => {
    expect(CUSTOM_TYPE_NAME.test(n)).toBe(false);
  });

  it('builds a definition from the registered flags, accepting any JSON object', () => {
    const t = customMessageType('app:red_packet', { isPersisted: true, isCounted: true, isStatus: false, pushContent: '[Red Packet]' });
    expect(t).toMatchObject({ objectName: 'app:red_packet', isPersisted: true, isCounted: true, isStatus: false });
    expect(t.producedBy).toBeUndefined();
    expect(t.pushText({ amount: 1 })).toBe('[Red Packet]');
    expect(t.content.parse({ amount: 100, nested: { a: [1, 2] } })).toEqual({ amount: 100, nested: { a: [1, 2] } });
    expect(t.content.safeParse('not an object').success).toBe(false);
    expect(t.content.safeParse([1, 2]).success).toBe(false);
  });

  it('has no push text without pushContent', () => {
    expect(customMessageType('app:note', { isPersisted: true, isCounted: false, isStatus: false }).pushText({})).toBeNull();
  });

  it('never stores, counts or pushes a status type, whatever the flags', () => {
    const t = customMessageType('app:typing', { isPersisted: true, isCounted: true, isStatus: true, pushContent: 'typing' });
    expect(t).toMatchObject({ isPersisted: false, isCounted: false, isStatus: true });
    expect(t.pushText({})).toBeNull();
  });

  it('refuses a reserved or malformed name', () => {
    expect(() => customMessageType('RC:Fake', { isPersisted: true, isCounted: true, isStatus: false })).toThrow(/not a valid custom objectName/);
    expect(() => customMessageType('x'.repeat(33), { isPersisted: true, isCounted: true, isStatus: false })).toThrow();
  });
});
