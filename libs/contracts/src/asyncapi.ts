import { z } from 'zod';
import { EVENTS, EventType } from './events';
import { INTERNAL_RPC, RPC } from './rpc';
import { SERVICES, ServiceName, Subjects } from './subjects';

/**
 * The AsyncAPI 3.0 document of the backend, generated from the contracts (EVENTS and RPC) so it
 * cannot drift from them. It is written to `asyncapi.yaml` by `npm run asyncapi`, and a unit
 * test fails when the committed file differs from what this function returns.
 *
 * The application described is the backend as a whole: it sends every domain event (one channel
 * per JetStream subject) and receives every request/reply method (one channel per RPC subject).
 * Output is deterministic: events and methods are sorted, and every object is built in a fixed
 * key order, so the generated file diffs cleanly.
 */

/** The shape the tools and tests rely on; the rest of the document is plain JSON. */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description: string };
  defaultContentType: string;
  servers: Record<string, unknown>;
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, AsyncApiOperation>;
  components: { schemas: Record<string, JsonSchema>; messages: Record<string, Record<string, unknown>> };
}

export interface AsyncApiChannel {
  address: string | null;
  title: string;
  description: string;
  messages: Record<string, Ref>;
  [extension: `x-${string}`]: unknown;
}

export interface AsyncApiOperation {
  action: 'send' | 'receive';
  channel: Ref;
  title: string;
  summary: string;
  messages: Ref[];
  reply?: { channel: Ref; messages: Ref[] };
  bindings?: Record<string, unknown>;
}

type Ref = { $ref: string };
type JsonSchema = Record<string, unknown>;

const SUBJECTS = new Subjects('im');
const NATS_BINDING_VERSION = '0.1.0';

/** Dots are allowed in AsyncAPI component and channel ids; a `/` would need escaping in refs. */
function ref(...path: string[]): Ref {
  return { $ref: `#/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` };
}

/** zod -> JSON Schema (draft-07, the base of the AsyncAPI schema format), embeddable as-is. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-7', cycles: 'throw' }) as JsonSchema;
  delete out.$schema;
  // A `$ref` would point into the schema's own definitions, which break once it is embedded.
  const text = JSON.stringify(out);
  if (text.includes('"$ref"') || '$defs' in out || 'definitions' in out) {
    throw new Error('asyncapi: a contract schema produced $ref/$defs (registered id or reuse); inline it');
  }
  return out;
}

function sortedKeys<T extends object>(o: T): (keyof T & string)[] {
  return (Object.keys(o) as (keyof T & string)[]).sort();
}

function envelopeSchema(service: ServiceName, type: EventType, version: number, data: JsonSchema): JsonSchema {
  return {
    type: 'object',
    description: 'CloudEvents-style envelope (EventEnvelope in libs/contracts/src/envelope.ts).',
    properties: {
      specversion: { type: 'string', const: '1.0' },
      id: {
        type: 'string',
        format: 'uuid',
        description: 'Unique event id. Also the NATS message id (Nats-Msg-Id header), so JetStream drops a re-publish.',
      },
      type: { type: 'string', const: type },
      source: { type: 'string', description: `The publishing service, \`im/${service}\`.` },
      subject: { type: 'string', description: 'The id of the stream (aggregate) the event belongs to.' },
      time: { type: 'string', format: 'date-time', description: 'When the event occurred (ISO 8601, UTC).' },
      datacontenttype: { type: 'string', const: 'application/json' },
      dataversion: { type: 'integer', const: version, description: 'Version of the `data` payload schema.' },
      position: {
        type: 'string',
        pattern: '^[0-9]+$',
        description: "The event's global position in its service's log (a decimal integer as a string).",
      },
      traceparent: {
        type: 'string',
        pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
        description:
          'Optional. The W3C trace context of the request that caused the event (CloudEvents distributed tracing extension); absent on events written outside a request or before it was recorded.',
      },
      data,
    },
    required: ['specversion', 'id', 'type', 'source', 'subject', 'time', 'datacontenttype', 'dataversion', 'position', 'data'],
    additionalProperties: false,
  };
}

const EVENT_HEADERS: JsonSchema = {
  type: 'object',
  properties: {
    'Nats-Msg-Id': {
      type: 'string',
      description: 'Equals the envelope id; JetStream deduplicates a re-published event within the duplicate window.',
    },
  },
  required: ['Nats-Msg-Id'],
};

const RPC_REPLY_SCHEMA: JsonSchema = {
  description: 'Every RPC reply (RpcResponse in libs/contracts/src/rpc.ts): a result or a named error.',
  oneOf: [
    {
      type: 'object',
      title: 'RpcOk',
      properties: {
        ok: { type: 'boolean', const: true },
        result: { description: 'The method-specific result (RpcReplies in libs/contracts/src/rpc.ts).' },
      },
      required: ['ok', 'result'],
      additionalProperties: false,
    },
    {
      type: 'object',
      title: 'RpcError',
      properties: {
        ok: { type: 'boolean', const: false },
        error: {
          type: 'object',
          properties: {
            code: { type: 'string', description: 'A named error code, e.g. VALIDATION_FAILED, NOT_FOUND, INTERNAL.' },
            message: { type: 'string' },
            status: { type: 'integer', description: 'The HTTP status the gateway answers with.' },
            details: { description: 'Optional, code-specific details (e.g. validation issues).' },
          },
          required: ['code', 'message', 'status'],
          additionalProperties: false,
        },
      },
      required: ['ok', 'error'],
      additionalProperties: false,
    },
  ],
};

const RPC_REPLY_CHANNEL = 'rpc.reply';
const RPC_REPLY_MESSAGE = 'rpc.reply';

/** An internal method's request: the gateway method's own message, or `{}` for the plumbing. */
const PLUMBING_REQUEST = 'internal.plumbing.request';

/** `im.internal.<service>.<method>`: what INTERNAL_RPC lists, with who may ask it. */
function addInternalChannels(
  channels: Record<string, AsyncApiChannel>,
  operations: Record<string, AsyncApiOperation>,
  messages: Record<string, Record<string, unknown>>,
): void {
  messages[PLUMBING_REQUEST] = {
    name: 'plumbing',
    title: 'position / health request',
    summary: 'An empty object: the read barrier asks a source how far it published (position), the container healthcheck asks health.',
    contentType: 'application/json',
    payload: { type: 'object', additionalProperties: false },
  };
  for (const service of [...SERVICES].sort()) {
    const methods = INTERNAL_RPC[service] as Record<string, readonly string[]>;
    for (const method of sortedKeys(methods)) {
      const id = `internal.${service}.${method}`;
      const request = method in RPC[service] ? `rpc.${service}.${method}.request` : PLUMBING_REQUEST;
      const callers = [...methods[method]].sort();
      channels[id] = {
        address: SUBJECTS.internal(service, method),
        title: `${service}.${method} (internal)`,
        description: `Method ${method} of ${service} asked by another service (${callers.join(', ')}), answered in the queue group ${SUBJECTS.prefix}-${service}.`,
        messages: { request: ref('components', 'messages', request) },
        'x-callers': callers,
      };
      operations[`receive.${id}`] = {
        action: 'receive',
        channel: ref('channels', id),
        title: `Handle ${service}.${method} from ${callers.join(', ')}`,
        summary: `${service} answers ${method} requests from ${callers.join(', ')}.`,
        messages: [ref('channels', id, 'messages', 'request')],
        reply: {
          channel: ref('channels', RPC_REPLY_CHANNEL),
          messages: [ref('channels', RPC_REPLY_CHANNEL, 'messages', 'reply')],
        },
        bindings: { nats: { queue: `${SUBJECTS.prefix}-${service}`, bindingVersion: NATS_BINDING_VERSION } },
      };
    }
  }
}

export function asyncApiDocument(): AsyncApiDocument {
  const channels: Record<string, AsyncApiChannel> = {};
  const operations: Record<string, AsyncApiOperation> = {};
  const messages: Record<string, Record<string, unknown>> = {};

  const events = (Object.keys(EVENTS) as EventType[])
    .map((type) => ({ type, def: EVENTS[type], id: `events.${EVENTS[type].service}.${type}` }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const { type, def, id } of events) {
    const address = SUBJECTS.event(def.service, type);
    const stream = SUBJECTS.stream(def.service);
    messages[id] = {
      name: type,
      title: type,
      summary: def.description,
      contentType: 'application/json',
      headers: EVENT_HEADERS,
      payload: envelopeSchema(def.service, type, def.version, jsonSchema(def.schema, 'output')),
      'x-stream': stream,
      'x-payload-version': def.version,
    };
    channels[id] = {
      address,
      title: type,
      description: `${def.description} Published by ${def.service} into the JetStream stream ${stream}.`,
      messages: { [type]: ref('components', 'messages', id) },
      'x-stream': stream,
    };
    operations[`send.${id}`] = {
      action: 'send',
      channel: ref('channels', id),
      title: `Publish ${type}`,
      summary: def.description,
      messages: [ref('channels', id, 'messages', type)],
    };
  }

  for (const service of [...SERVICES].sort()) {
    const methods = RPC[service] as Record<string, z.ZodType>;
    for (const method of sortedKeys(methods)) {
      const id = `rpc.${service}.${method}`;
      const messageId = `${id}.request`;
      messages[messageId] = {
        name: `${service}.${method}`,
        title: `${service}.${method} request`,
        summary: `Request of ${service}.${method}; validated again by the service.`,
        contentType: 'application/json',
        payload: jsonSchema(methods[method], 'input'),
      };
      channels[id] = {
        address: SUBJECTS.rpc(service, method),
        title: `${service}.${method}`,
        description: `Request/reply method ${method} of ${service}, answered in the queue group ${SUBJECTS.prefix}-${service}. Only the gateway may publish here: the actor inside is one it authenticated.`,
        messages: { request: ref('components', 'messages', messageId) },
      };
      operations[`receive.${id}`] = {
        action: 'receive',
        channel: ref('channels', id),
        title: `Handle ${service}.${method}`,
        summary: `${service} answers ${method} requests.`,
        messages: [ref('channels', id, 'messages', 'request')],
        reply: {
          channel: ref('channels', RPC_REPLY_CHANNEL),
          messages: [ref('channels', RPC_REPLY_CHANNEL, 'messages', 'reply')],
        },
        bindings: { nats: { queue: `${SUBJECTS.prefix}-${service}`, bindingVersion: NATS_BINDING_VERSION } },
      };
    }
  }

  addInternalChannels(channels, operations, messages);

  messages[RPC_REPLY_MESSAGE] = {
    name: 'RpcReply',
    title: 'RPC reply',
    summary: '{ ok: true, result } or { ok: false, error: { code, message, status, details } }.',
    contentType: 'application/json',
    payload: ref('components', 'schemas', 'RpcReply'),
  };

  channels[RPC_REPLY_CHANNEL] = {
    address: null,
    title: 'RPC reply inbox',
    description: "The requester's inbox: the reply subject NATS sets on each request (dynamic, e.g. _INBOX.*).",
    messages: { reply: ref('components', 'messages', RPC_REPLY_MESSAGE) },
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'IM backend events and RPC',
      version: '0.1.0',
      description: [
        'Generated from libs/contracts (EVENTS, RPC) by `npm run asyncapi`; do not edit by hand.',
        '',
        `Domain events are published on JetStream subjects \`${SUBJECTS.prefix}.events.<service>.<type>\`, one stream per service (e.g. ${SUBJECTS.stream('messaging')}), each wrapped in a CloudEvents-style envelope. The NATS message id (header Nats-Msg-Id) equals the envelope id, so a re-publish is deduplicated by JetStream.`,
        '',
        `Request/reply methods are answered on \`${SUBJECTS.prefix}.rpc.<service>.<method>\` in a queue group per service; replies are \`{ ok: true, result }\` or \`{ ok: false, error: { code, message, status, details } }\`.`,
        '',
        `Methods one service asks of another are answered on \`${SUBJECTS.prefix}.internal.<service>.<method>\` as well (INTERNAL_RPC in libs/contracts/src/rpc/internal.rpc.ts); each channel's x-callers names the NATS users that may publish there (deploy/nats/nats.conf).`,
        '',
        `The real-time stream (libs/realtime): the push service stores a copy of each event a user may see on \`${SUBJECTS.deliver('<user>').replace(/\.[^.]+$/, '')}.<base64url user id>\` in the JetStream stream ${SUBJECTS.deliveryStream()} (max age STREAM_REPLAY_SECONDS; the stream sequence is the SSE id), status messages live on \`${SUBJECTS.prefix}.live.<user>\`. A delivery \`{ type: "stream.resync", data: { reason: "not_kept" } }\` marks where copies were not kept for a user (away longer than STREAM_RECENT_MS, or unknown to push after its restart). Gateways announce users with live streams on \`${SUBJECTS.presence()}\`: \`{ kind: "full", gatewayId, at, round, part, parts, userIds }\` in parts under PRESENCE_CHUNK_BYTES, and \`{ kind: "delta", gatewayId, at, online, offline }\` on change; \`${SUBJECTS.presenceSync()}\` asks for a full announcement. A gateway tells the others a device opened a stream on \`${SUBJECTS.prefix}.streamctl.<user>\`.`,
        '',
        'SSE events of GET /v1/stream: each domain event type (data: the envelope, id: the delivery sequence), and `resync` (data: { reason: malformed | unknown | too_old | not_kept }: refetch conversations and history), `replaced` (data: { reason: device | limit }: another stream took this one\'s place; closed after), `shutdown` (data: {}: the gateway is stopping; reconnect with Last-Event-ID).',
        '',
        `Addresses use the default subject prefix \`${SUBJECTS.prefix}\`; a deployment with another prefix replaces it.`,
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      nats: {
        host: 'localhost:4222',
        protocol: 'nats',
        title: 'NATS with JetStream',
        description: 'nats://localhost:4222 (NATS_URL overrides it).',
      },
    },
    channels,
    operations,
    components: {
      schemas: { RpcReply: RPC_REPLY_SCHEMA },
      messages,
    },
  };
}
