import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CODES } from '@im/contracts';
import { createTestEnv, startStack, TestEnv, TestStack } from '@im/stack';
import { CLIENT_TYPES_FILE, generateClientTypes } from '../src/openapi/client-types';

type Responses = Record<string, { content?: Record<string, { schema?: unknown }>; 'x-error-codes'?: string[] }>;
type Operation = { operationId?: string; tags?: string[]; responses: Responses };

/**
 * The OpenAPI document is one a client can be generated from: every served route has an
 * operationId, a tag, a schema for its success body and its error codes; openapi-typescript
 * turns it into types that type-check a program (and reject a wrong call).
 */
describe('OpenAPI document e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let doc: { paths: Record<string, Record<string, Operation>>; tags: Array<{ name: string }> };

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: [] });
    doc = (await (await fetch(`${stack.api.baseUrl}/docs/openapi.json`)).json()) as typeof doc;
  });

  afterAll(async () => {
    await stack?.close();
    await env?.dispose();
  });

  it('gives every served route an operationId, a tag, a success schema and its errors', () => {
    const served = stack.routes.filter((r) => !r.url.startsWith('/docs'));
    expect(served.length).toBeGreaterThan(20);
    const ids = new Set<string>();
    for (const route of served) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      const where = `${route.method} ${route.url}`;
      expect({ where, documented: op !== undefined }).toEqual({ where, documented: true });
      expect({ where, operationId: op.operationId }).toEqual({ where, operationId: expect.stringMatching(/^[a-z][A-Za-z]+$/) });
      expect(ids.has(op.operationId!)).toBe(false);
      ids.add(op.operationId!);
      expect({ where, tags: op.tags }).toEqual({ where, tags: [expect.any(String)] });
      expect(doc.tags.map((t) => t.name)).toContain(op.tags![0]);
      const statuses = Object.keys(op.responses).map(Number);
      const success = statuses.filter((s) => s >= 200 && s < 300);
      expect({ where, success: success.length }).toEqual({ where, success: 1 });
      const content = Object.values(op.responses[success[0]].content ?? {});
      expect({ where, successSchema: content[0]?.schema !== undefined }).toEqual({ where, successSchema: true });
      const failures = statuses.filter((s) => s >= 400);
      // Liveness and the metrics scrape answer whenever the process does: they have no failure to list.
      if (path !== '/health/live' && path !== '/metrics') expect({ where, failures: failures.length > 0 }).toEqual({ where, failures: true });
      for (const status of failures) {
        const r = op.responses[status];
        expect(r.content?.['application/json']?.schema).toBeDefined();
        // Health's and readiness's 503 are their own bodies; every other failure is the error JSON with named codes.
        if (path === '/health' || path === '/health/ready') continue;
        expect({ where, status, codes: r['x-error-codes']?.length }).toEqual({ where, status, codes: expect.any(Number) });
        for (const code of r['x-error-codes']!) expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status).toBe(status);
      }
    }
  });

  it('serves the API reference from the installed package, with no CDN', async () => {
    const page = await fetch(`${stack.api.baseUrl}/docs`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(['/docs/js/scalar.js']);
    expect(html).not.toMatch(/https?:\/\//);
    const bundle = await fetch(`${stack.api.baseUrl}/docs/js/scalar.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect(await bundle.text()).toContain('createApiReference');
  });

  it('generates the committed client types (npm run openapi:client after a change)', async () => {
    expect(generateClientTypes(doc)).toBe(readFileSync(CLIENT_TYPES_FILE, 'utf8'));
  });

  it('generates types with openapi-typescript that type-check a program and reject a wrong call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'im-openapi-client-'));
    try {
      writeFileSync(join(dir, 'openapi.ts'), generateClientTypes(doc));
      writeFileSync(join(dir, 'program.ts'), PROGRAM);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
      const tsc = require.resolve('typescript/bin/tsc');
      const typeErrors = (): string => {
        try {
          execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe' });
          return '';
        } catch (e) {
          return String((e as { stdout?: string }).stdout);
        }
      };
      expect(typeErrors()).toBe('');
      // The same program with a wrong call left unmarked must fail: the types do constrain.
      writeFileSync(join(dir, 'program.ts'), PROGRAM.replace('// @ts-expect-error conversationType 2 does not exist\n', ''));
      expect(typeErrors()).toMatch(/program\.ts\(\d+,\d+\): error TS2322: Type '2' is not assignable/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'ES2022', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [], strict: true, noEmit: true, skipLibCheck: false },
  files: ['program.ts'],
};

/** What a client developer writes on the generated types: a typed fetch of two operations. */
const PROGRAM = `import type { components, paths } from './openapi';

type SendBody = paths['/v1/messages']['post']['requestBody']['content']['application/json'];
type SendReply = paths['/v1/messages']['post']['responses'][201]['content']['application/json'];
type History = paths['/v1/conversations/{type}/{targetId}/messages']['get']['responses'][200]['content']['application/json'];
type SendError = paths['/v1/messages']['post']['responses'][422]['content']['application/json'];

async function send(baseUrl: string, token: string, body: SendBody): Promise<SendReply> {
  const res = await fetch(baseUrl + '/v1/messages', { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as SendReply;
}

export async function main(): Promise<void> {
  const sent = await send('http://localhost:3000', 'token', { conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'hi' } });
  const seq: number | null = sent.seq;
  const uid: string = sent.messageUId;
  // @ts-expect-error conversationType 2 does not exist
  await send('http://localhost:3000', 'token', { conversationType: 2, targetId: 'bob', objectName: 'RC:TxtMsg', content: {} });
  // @ts-expect-error a reply's seq is a number or null, never a string
  const wrong: string = sent.seq;
  const page = {} as History;
  const first: components['schemas']['HistoryMessage'] | undefined = page.messages[0];
  const receipt = first?.receipt;
  const code: SendError['error']['code'] = 'CANNOT_MESSAGE_SELF';
  // @ts-expect-error not a code sendMessage answers with
  const notACode: SendError['error']['code'] = 'RED_PACKET_EXPIRED';
  console.log(seq, uid, wrong, receipt, code, notACode);
}
`;
