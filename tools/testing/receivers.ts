import { createDecipheriv, createECDH, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** The receivers run on loopback, which the push service reaches only when told so (its settings' `allowedNetworks`). */
export const LOOPBACK_NETWORKS = ['127.0.0.0/8', '::1/128'];

/** What a local receiver got: the raw body, its headers, and when. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** When the request had fully arrived (ms). */
  at: number;
}

/**
 * A local HTTP server standing in for webhook relays and Web Push services. Each path answers
 * with the status its script says for the n-th request (the last entry repeats): `[500, 500, 200]`
 * fails twice then succeeds. `onRequest` may act (and delay the answer) when a request arrives.
 */
export class Receivers {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, number[]>();
  private readonly counts = new Map<string, number>();
  private readonly responders = new Map<string, (res: ServerResponse) => void>();
  private server?: Server;
  onRequest?: (r: Received) => Promise<void>;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
        this.received.push(r);
        const n = this.counts.get(r.path) ?? 0;
        this.counts.set(r.path, n + 1);
        const script = this.scripts.get(r.path) ?? [200];
        const status = script[Math.min(n, script.length - 1)];
        const respond = this.responders.get(r.path) ?? ((out: ServerResponse) => out.writeHead(status).end());
        void (this.onRequest?.(r) ?? Promise.resolve()).finally(() => respond(res));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  script(path: string, statuses: number[]): void {
    this.scripts.set(path, statuses);
  }

  /** Answers requests to `path` with `respond` instead of a scripted status (see `trickle`, `flood`). */
  answer(path: string, respond: (res: ServerResponse) => void): void {
    this.responders.set(path, respond);
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

/**
 * 200 at once, then one byte every `everyMs`, never ending: only a whole-request deadline stops
 * it. `maxOpen()` tells the most answers it had open at once.
 */
export function trickle(everyMs: number) {
  let open = 0;
  let maxOpen = 0;
  const respond = (res: ServerResponse) => {
    maxOpen = Math.max(maxOpen, ++open);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    const t = setInterval(() => res.write('.'), everyMs);
    res.on('close', () => {
      open -= 1;
      clearInterval(t);
    });
  };
  return Object.assign(respond, { maxOpen: () => maxOpen });
}

/** 200 and up to `totalBytes` of body, written as fast as the reader takes it; `written()` tells how much went out. */
export function flood(totalBytes: number) {
  let written = 0;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const respond = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const more = () => {
      let room = true;
      while (room && written < totalBytes && !res.destroyed) {
        written += chunk.length;
        room = res.write(chunk);
      }
      if (written >= totalBytes) res.end();
      else if (!res.destroyed) res.once('drain', more);
    };
    more();
  };
  return Object.assign(respond, { written: () => written });
}

/**
 * A receiver's check, as the push README tells one to write it: HMAC-SHA256 keyed with the
 * device secret over `${X-Signature-Id}.${X-Signature-Timestamp}.${raw body}`, compared in
 * constant time, and a timestamp more than `toleranceS` from the receiver's clock refused (a
 * captured push replayed later).
 */
export function signatureValid(r: Received, secret: string, nowS = Date.now() / 1000, toleranceS = 300): boolean {
  const id = String(r.headers['x-signature-id'] ?? '');
  const timestamp = String(r.headers['x-signature-timestamp'] ?? '');
  if (!id || !/^\d+$/.test(timestamp) || Math.abs(nowS - Number(timestamp)) > toleranceS) return false;
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), r.body]);
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(signed).digest('hex')}`);
  const got = Buffer.from(String(r.headers['x-signature'] ?? ''));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** The same request with one header changed (a replay under another id or time). */
export function withHeader(r: Received, name: string, value: string): Received {
  return { ...r, headers: { ...r.headers, [name]: value } };
}

/** A browser's side of Web Push: a P-256 key pair and a 16-byte auth secret. */
export function browserSubscription(endpoint: string) {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    subscription: { endpoint, expirationTime: null, keys: { p256dh: publicKey.toString('base64url'), auth: auth.toString('base64url') } },
    /** RFC 8291 (aes128gcm, RFC 8188 framing, a single record) as the browser decrypts it. */
    decrypt(body: Buffer): string {
      const salt = body.subarray(0, 16);
      const idlen = body.readUInt8(20);
      const serverKey = body.subarray(21, 21 + idlen);
      const record = body.subarray(21 + idlen);
      const shared = ecdh.computeSecret(serverKey);
      const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), publicKey, serverKey]);
      const ikm = Buffer.from(hkdfSync('sha256', shared, auth, keyInfo, 32));
      const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
      const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
      const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
      decipher.setAuthTag(record.subarray(record.length - 16));
      const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
      // Strip the padding: trailing zeros, then the 0x02 delimiter of the last record.
      let end = plain.length - 1;
      while (end >= 0 && plain[end] === 0) end--;
      if (plain[end] !== 2) throw new Error('no last-record delimiter');
      return plain.subarray(0, end).toString('utf8');
    },
  };
}
