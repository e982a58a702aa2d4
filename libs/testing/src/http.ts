/** A small HTTP client for tests and benchmarks: the server key, acting as a user, or a token. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  /** With the server key, act as this user (`X-User-Id`). */
  as?: string;
  /** Use this user token instead of the server key. */
  token?: string;
  /** Send no Authorization header at all. */
  anonymous?: boolean;
  headers?: Record<string, string>;
  /** A raw body, sent as is (for malformed JSON tests). */
  raw?: string;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async call<T = any>(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (!opts.anonymous) headers.authorization = `Bearer ${opts.token ?? this.apiKey}`;
    if (opts.as) headers['x-user-id'] = opts.as;
    const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(path: string, opts?: CallOptions) {
    return this.call<T>('GET', path, undefined, opts);
  }
  post<T = any>(path: string, body?: unknown, opts?: CallOptions) {
    return this.call<T>('POST', path, body, opts);
  }
  put<T = any>(path: string, body?: unknown, opts?: CallOptions) {
    return this.call<T>('PUT', path, body, opts);
  }
  delete<T = any>(path: string, opts?: CallOptions) {
    return this.call<T>('DELETE', path, undefined, opts);
  }

  /** Send a text message as `senderId` with the server key. */
  sendText(senderId: string, conversationType: number, targetId: string, text: string, extra: Record<string, unknown> = {}, opts: CallOptions = {}) {
    return this.post('/v1/messages', { conversationType, targetId, objectName: 'RC:TxtMsg', content: { content: text }, ...extra }, { as: senderId, ...opts });
  }
}

/** Polls until `check` stops throwing (projections are eventually consistent). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
