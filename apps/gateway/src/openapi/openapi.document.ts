import { ERROR_CODES, ErrorCode, ReplySchemas } from '@im/contracts';
import { z } from 'zod';
import { PROMETHEUS_TEXT, SSE } from './gateway-responses';
import { Operation, OPERATIONS } from './operations';

export { OPERATIONS };

/**
 * The OpenAPI 3.1 document, generated from the zod schemas of every request and reply, so a
 * client generated from it (openapi-typescript, as a test does) has typed bodies and replies.
 */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  return {
    openapi: '3.1.0',
    info: {
      title: 'IM backend gateway',
      version: '0.1.0',
      description:
        'REST API of the event-sourced IM backend. Every error is `{ error: { code, message, details? } }`; each operation lists its codes by status (`x-error-codes`, and as the enum of `error.code`). ' +
        'Calls are rate limited per credential (each user token, and the server key): 429 RATE_LIMITED with Retry-After (see the README for the limits and their variables).',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
    components: {
      securitySchemes: {
        serverKey: { type: 'http', scheme: 'bearer', description: 'The app backend key (IM_API_KEY)' },
        userToken: { type: 'http', scheme: 'bearer', description: 'A token from POST /v1/users/{userId}/token' },
      },
      schemas: { Error: jsonSchema(ReplySchemas.ErrorResponse, 'output'), ...sharedSchemas() },
    },
    paths,
  };
}

function operation(op: Operation): Record<string, unknown> {
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    security: op.auth === 'public' ? [] : op.auth === 'server' ? [{ serverKey: [] }] : [{ serverKey: [] }, { userToken: [] }],
    parameters: parameters(op),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
    responses: { [op.success]: success(op), ...other(op), ...errorResponses(errorsOf(op), isWrite(op)) },
  };
}

function success(op: Operation): Record<string, unknown> {
  if (op.response === PROMETHEUS_TEXT) {
    return { description: 'Prometheus text exposition format (version 0.0.4)', content: { [PROMETHEUS_TEXT]: { schema: { type: 'string' } } } };
  }
  if (op.response === SSE) {
    return { description: 'Server-Sent Events: `id`, `event` (message, recall, ...) and a JSON `data` per event', content: { [SSE]: { schema: { type: 'string' } } } };
  }
  return { description: 'OK', content: { 'application/json': { schema: jsonSchema(op.response, 'output') } } };
}

function other(op: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(op.otherResponses ?? {})) {
    out[status] = { description: r.description, content: { 'application/json': { schema: jsonSchema(r.schema, 'output') } } };
  }
  return out;
}

function isWrite(op: Operation): boolean {
  return op.method !== 'get';
}

/** Every authenticated call may be rate limited; every write may meet its Idempotency-Key again. */
function errorsOf(op: Operation): ErrorCode[] {
  if (op.auth === 'public') return op.errors;
  return [...op.errors, 'RATE_LIMITED', ...(isWrite(op) ? (['IDEMPOTENCY_KEY_IN_FLIGHT', 'IDEMPOTENCY_KEY_REUSED'] as const) : [])];
}

const RETRY_AFTER = { 'Retry-After': { description: 'Whole seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } } };

/** One response per status, its `error.code` an enum of exactly the codes the operation can return there. */
function errorResponses(codes: ErrorCode[], write: boolean): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[status] = {
      description: list.map((c) => `\`${c}\`: ${ERROR_CODES[c].description}`).join('\n\n'),
      'x-error-codes': list,
      ...(status === 429 || (status === 409 && write) ? { headers: RETRY_AFTER } : {}),
      content: {
        'application/json': {
          schema: {
            allOf: [
              { $ref: '#/components/schemas/Error' },
              { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code'], properties: { code: { type: 'string', enum: list } } } } },
            ],
          },
        },
      },
    };
  }
  return out;
}

/**
 * Schemas named with `meta({ id })` (Message, Conversation, RedPacket...) become components,
 * referenced from every operation, so a generated client names them once.
 */
const components = new Map<string, string>();

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  const defs = (out.$defs ?? {}) as Record<string, unknown>;
  delete out.$schema;
  delete out.$defs;
  for (const [id, def] of Object.entries(defs)) {
    const text = JSON.stringify(tidy(def));
    if (components.has(id) && components.get(id) !== text) throw new Error(`two different schemas are named ${id}`);
    components.set(id, text);
  }
  return tidy(out) as Record<string, unknown>;
}

/** Refs point at components; the safe-integer bounds zod adds to every int say nothing to a reader. */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') out[k] = v.replace('#/$defs/', '#/components/schemas/');
    else if ((k === 'minimum' || k === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    else out[k] = tidy(v);
  }
  return out;
}

function sharedSchemas(): Record<string, unknown> {
  return Object.fromEntries([...components].sort(([a], [b]) => a.localeCompare(b)).map(([id, text]) => [id, JSON.parse(text)]));
}

function parameters(op: Operation): unknown[] {
  const path = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const queryShape = op.query ? (jsonSchema(op.query, 'input') as { properties: Record<string, unknown>; required?: string[] }) : undefined;
  const query = queryShape
    ? Object.entries(queryShape.properties).map(([name, schema]) => ({ name, in: 'query', required: queryShape.required?.includes(name) ?? false, schema }))
    : [];
  const headers =
    op.auth === 'server' || op.auth === 'any'
      ? [{ name: 'X-User-Id', in: 'header', required: false, description: 'With the server key: the user the call acts as', schema: { type: 'string' } }]
      : [];
  const idempotency = isWrite(op) ? [IDEMPOTENCY_KEY] : [];
  return [...path, ...query, ...headers, ...idempotency];
}

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A retry with the same key (per credential, kept 24 h) gets the first answer, status and body, with `Idempotent-Replayed: true`; ' +
    'the same key for another body, route or method is 422 IDEMPOTENCY_KEY_REUSED; while the first is still running, 409 IDEMPOTENCY_KEY_IN_FLIGHT with Retry-After. ' +
    '5xx and 429 answers are not kept, so their retry runs again.',
  schema: { type: 'string', minLength: 1, maxLength: 128 },
};
