/** HTTP for the client: credentials, the error JSON as an exception, Idempotency-Key and retries. */
export interface ImClientOptions {
  /** The gateway, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** A user token (`POST /v1/users/{userId}/token`): the client acts as its user. */
  token?: string;
  /** The app backend's server key (`IM_API_KEY`); with `userId`, calls act as that user (`X-User-Id`). */
  serverKey?: string;
  userId?: string;
  /** Attempts after the first for a call that failed on the network, with 503 or 429, or met its own key in flight (default 3). */
  retries?: number;
  /** The first retry's delay; each next one doubles it (default 200 ms). */
  retryDelayMs?: number;
  /** Another fetch (a test's, a proxy's); default the global one. */
  fetch?: typeof fetch;
}

/** A 4xx or 5xx answer: the gateway's `{ error: { code, message, details? } }` with its status. */
export class ImApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ImApiError';
  }
}

export interface CallInit {
  query?: object;
  body?: unknown;
  /** For writes: the key to send (default a new random one per call, reused by its retries). */
  idempotencyKey?: string;
}

export class Transport {
  constructor(readonly options: ImClientOptions) {
    if (!options.token && !options.serverKey) throw new Error('ImClient needs a token or a serverKey');
  }

  /** The credential headers, also used by the stream. */
  authHeaders(): Record<string, string> {
    const { token, serverKey, userId } = this.options;
    const headers: Record<string, string> = { authorization: `Bearer ${token ?? serverKey}` };
    if (!token && userId) headers['x-user-id'] = userId;
    return headers;
  }

  url(path: string, query?: object): string {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) search.set(k, Array.isArray(v) ? v.join(',') : String(v));
    const qs = search.toString();
    return `${this.options.baseUrl.replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`;
  }

  /**
   * One call. Every write carries an Idempotency-Key, and a retry (after a network error or a
   * 503, when the gateway may or may not have acted) sends the same key, so the gateway answers
   * it with the first result instead of acting twice. 429 and the key's own request still in
   * flight (409 IDEMPOTENCY_KEY_IN_FLIGHT) are retried after their Retry-After.
   */
  async call<T>(method: string, path: string, init: CallInit = {}): Promise<T> {
    const headers = { ...this.authHeaders(), accept: 'application/json' } as Record<string, string>;
    if (method !== 'GET') headers['idempotency-key'] = init.idempotencyKey ?? crypto.randomUUID();
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const request = { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) };
    const retries = this.options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await (this.options.fetch ?? fetch)(this.url(path, init.query), request);
      } catch (e) {
        if (attempt >= retries) throw e;
        await this.pause(attempt);
        continue;
      }
      const outcome = await this.parse<T>(res);
      if (!(outcome instanceof ImApiError)) return outcome;
      if (attempt >= retries || !retryable(outcome)) throw outcome;
      await this.pause(attempt, Number(res.headers.get('retry-after')) || 0);
    }
  }

  private async parse<T>(res: Response): Promise<T | ImApiError> {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON (a proxy's error page): keep the text */
    }
    if (res.ok) return body as T;
    const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    return new ImApiError(res.status, error?.code ?? 'HTTP_ERROR', error?.message ?? res.statusText, error?.details);
  }

  private pause(attempt: number, retryAfterSeconds = 0): Promise<void> {
    const ms = Math.max((this.options.retryDelayMs ?? 200) * 2 ** attempt, retryAfterSeconds * 1000);
    return new Promise((r) => setTimeout(r, ms));
  }
}

/** Answers after which the same call (with the same key) may still succeed. */
function retryable(e: ImApiError): boolean {
  return e.status === 503 || e.status === 429 || e.code === 'IDEMPOTENCY_KEY_IN_FLIGHT';
}
