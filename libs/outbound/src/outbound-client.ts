import { Agent as HttpAgent, ClientRequest, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { AddressPolicy } from './address-policy';
import { KeyedLimiter, Limiter, LimiterFull } from './limiter';
import { OutboundError } from './outbound-error';
import { assertAddresses, guardedLookup, literalAddress, parseTarget, resolveHost, Resolver, systemResolver } from './target';

export interface OutboundOptions {
  policy: AddressPolicy;
  /** The whole request: waiting for a slot, resolving, connecting, sending, the complete answer. */
  deadlineMs: number;
  /** Bytes of a response body kept; reading stops there (the rest is never read). */
  maxResponseBytes: number;
  /** Requests in flight per origin, so one slow receiver holds only its own slots. */
  perHostConcurrency: number;
  /** Requests waiting for a slot of one origin (default 4 × perHostConcurrency); more are `busy` at once. */
  perHostQueue?: number;
  /** Requests in flight in all. */
  concurrency: number;
  resolve?: Resolver;
}

export interface OutboundResponse {
  status: number;
  /** At most `maxResponseBytes`; `truncated` when the receiver sent more. */
  body: Buffer;
  truncated: boolean;
}

/**
 * The one way this backend makes a request to a URL someone else chose (webhooks, Web Push,
 * app-server callbacks). Each request is checked against the address policy (the URL's IP, or
 * every address its name resolves to, at connect time), bounded by a hard deadline and a body
 * cap, and waits for a slot of its origin before it takes one of the shared slots, so a slow
 * receiver queues only its own requests (and only so many: past its queue a request is `busy`). Connections are kept alive (node:http, several times
 * cheaper per request than fetch at push volume).
 */
export class OutboundClient {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;
  private readonly perHost: KeyedLimiter;
  private readonly all: Limiter;
  private readonly resolve: Resolver;

  constructor(private readonly options: OutboundOptions) {
    this.http = new HttpAgent({ keepAlive: true, maxSockets: options.perHostConcurrency });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: options.perHostConcurrency });
    this.perHost = new KeyedLimiter(options.perHostConcurrency, options.perHostQueue ?? 4 * options.perHostConcurrency);
    this.all = new Limiter(options.concurrency);
    this.resolve = options.resolve ?? systemResolver;
  }

  /**
   * At registration: the URL's form and every address it resolves to now. Throws OutboundError
   * (`refused`, `unresolved` or `network`). Connect time checks again: DNS may change.
   */
  async check(url: string): Promise<void> {
    const target = parseTarget(url);
    const literal = literalAddress(target);
    assertAddresses(this.options.policy, url, literal ? [literal] : await resolveHost(this.resolve, target.hostname));
  }

  /** POSTs the body; resolves with any HTTP answer, rejects with OutboundError. */
  async post(url: string, headers: Record<string, string | number>, body: string | Buffer): Promise<OutboundResponse> {
    const target = parseTarget(url);
    const literal = literalAddress(target);
    // An IP in the URL is connected to without a lookup, so it is checked here.
    if (literal) assertAddresses(this.options.policy, url, [literal]);
    const deadline = new AbortController();
    const ms = this.options.deadlineMs;
    const timer = setTimeout(() => deadline.abort(new OutboundError('deadline', `timeout: no complete answer within ${ms} ms`)), ms);
    try {
      const releaseHost = await this.perHost.acquire(target.origin, deadline.signal).catch((e) => {
        throw e instanceof LimiterFull ? new OutboundError('busy', `${target.origin} is busy: ${e.message}`) : e;
      });
      try {
        const release = await this.all.acquire(deadline.signal);
        try {
          return await this.send(target, url, headers, body, deadline.signal);
        } finally {
          release();
        }
      } finally {
        releaseHost();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  private send(target: URL, url: string, headers: Record<string, string | number>, body: string | Buffer, signal: AbortSignal): Promise<OutboundResponse> {
    const secure = target.protocol === 'https:';
    const all: Record<string, string | number> = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'content-length'));
    all['content-length'] = Buffer.byteLength(body);
    return new Promise((resolve, reject) => {
      let res: IncomingMessage | undefined;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onDeadline);
        fn();
      };
      const fail = (e: Error) => settle(() => reject(e instanceof OutboundError ? e : new OutboundError('network', e.message || String(e))));
      const onDeadline = () => {
        const reason = signal.reason as OutboundError;
        fail(reason);
        res?.destroy();
        req.destroy();
      };
      // The lookup keeps the name as Host and TLS server name while connecting to the checked address.
      const send = secure ? httpsRequest : httpRequest;
      const options = { method: 'POST', agent: secure ? this.https : this.http, headers: all, lookup: guardedLookup(this.options.policy, this.resolve, url) };
      const req: ClientRequest = send(target, options, (response) => {
        res = response;
        readCapped(response, this.options.maxResponseBytes, (out) => settle(() => resolve(out)), fail);
      });
      signal.addEventListener('abort', onDeadline, { once: true });
      req.on('error', fail);
      req.end(body);
    });
  }
}

/** Reads at most `max` bytes; past that the response is destroyed (its socket is not reused). */
function readCapped(res: IncomingMessage, max: number, done: (r: OutboundResponse) => void, fail: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const status = res.statusCode ?? 0;
  res.on('data', (chunk: Buffer) => {
    const room = max - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      done({ status, body: Buffer.concat(chunks), truncated: true });
      res.destroy();
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  res.on('end', () => done({ status, body: Buffer.concat(chunks), truncated: false }));
  res.on('error', fail);
  res.on('aborted', () => fail(new Error('the response was cut off')));
}
