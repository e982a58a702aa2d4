import { AppError, BeforeSendAnswer, BeforeSendRequest, Errors } from '@im/contracts';
import { OutboundError, signedHeaders } from '@im/outbound';
import { Clock, CLOCK } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BeforeSendCache, BeforeSendConfig } from './before-send.cache';

/** What the gate decided: the content to accept (the original, or the app server's replacement). */
export interface Reviewed {
  content: Record<string, unknown>;
  replaced: boolean;
}

/**
 * Asks the app server about a message before it is accepted (PRODUCT.md "App-server
 * callbacks"). With no callback configured, or a type it does not name, this is one memory
 * read. Otherwise one signed POST, bounded by the callback's timeout: `{ pass: true }` accepts,
 * `{ pass: false, code? }` refuses (422 REJECTED_BY_APP_SERVER), `{ pass: true, replace: {
 * content } }` accepts the replacement. No answer in time, a network failure, a non-2xx or an
 * answer of another shape follow `onTimeout`: accept the original, or refuse with 503
 * APP_SERVER_UNAVAILABLE (the client may retry).
 */
@Injectable()
export class BeforeSendGate {
  constructor(
    private readonly cache: BeforeSendCache,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async review(request: BeforeSendRequest): Promise<Reviewed> {
    await this.cache.loaded;
    const config = this.cache.current;
    const unchanged = { content: request.content, replaced: false };
    if (!config || (config.objectNames && !config.objectNames.has(request.objectName))) return unchanged;
    const answer = await this.ask(config, request);
    if (typeof answer === 'string') {
      if (config.onTimeout === 'allow') return unchanged;
      throw Errors.appServerUnavailable(answer);
    }
    if (!answer.pass) throw Errors.rejectedByAppServer(answer.code);
    return answer.replace ? { content: answer.replace.content, replaced: true } : unchanged;
  }

  /** The parsed answer, or why there is none. */
  private async ask(config: BeforeSendConfig, request: BeforeSendRequest): Promise<BeforeSendAnswer | string> {
    const id = randomUUID();
    const body = JSON.stringify(request);
    const signed = signedHeaders({ id, timestamp: Math.floor(this.clock.now().getTime() / 1000), body, secret: config.secret });
    try {
      const res = await config.client.post(config.url, { 'content-type': 'application/json', 'x-callback-id': id, ...signed }, body);
      if (res.status < 200 || res.status >= 300) return `it answered HTTP ${res.status}`;
      if (res.truncated) return 'its answer was too long';
      const parsed = BeforeSendAnswer.safeParse(parseJson(res.body.toString('utf8')));
      return parsed.success ? parsed.data : 'its answer is not { pass: true | false, ... }';
    } catch (e) {
      if (e instanceof OutboundError) return e.kind === 'deadline' ? `no answer within ${config.timeoutMs} ms` : e.message;
      if (e instanceof AppError) throw e;
      return (e as Error).message;
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
