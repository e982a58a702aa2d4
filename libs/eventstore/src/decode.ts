import { EventEnvelope, EVENTS, ServiceName, Subjects } from '@im/contracts';
import { isKnownEvent } from './envelope';
import { PoisonEvent } from './failure';

/**
 * Turns a message from a service's event stream into an envelope, or says why it is not one.
 * Anyone allowed to publish on the subject can put anything there, so nothing is assumed: it
 * must be JSON, an envelope, of a type that service publishes, on that type's subject. These
 * checks are cheap and run for every message; the data's schema is checked only when the
 * projection fails on it (see `schemaProblem`), so the normal path pays nothing for it.
 */
export function decodeEvent(data: Uint8Array, subject: string, source: ServiceName, subjects: Subjects): EventEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (e) {
    throw new PoisonEvent(`not JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PoisonEvent('not an event envelope: not an object');
  const env = parsed as Partial<EventEnvelope>;
  for (const field of ['id', 'type', 'source', 'subject', 'time'] as const) {
    if (typeof env[field] !== 'string') throw new PoisonEvent(`not an event envelope: ${field} is not a string`);
  }
  if (env.specversion !== '1.0') throw new PoisonEvent('not an event envelope: specversion is not 1.0');
  if (typeof env.dataversion !== 'number' || !('data' in env)) throw new PoisonEvent('not an event envelope: no data or dataversion');
  const type = env.type!;
  if (!isKnownEvent(type)) throw new PoisonEvent(`unknown event type ${type}`);
  const def = EVENTS[type];
  if (def.service !== source || env.source !== `im/${source}`) throw new PoisonEvent(`${type} is not an event of ${source}`);
  if (subject !== subjects.event(source, type)) throw new PoisonEvent(`${type} arrived on ${subject}`);
  if (env.dataversion > def.version) throw new PoisonEvent(`${type} data version ${env.dataversion} is newer than this code knows (${def.version})`);
  return env as EventEnvelope;
}

/** Why the envelope's data does not match its type's schema, or undefined when it does. */
export function schemaProblem(event: EventEnvelope): string | undefined {
  if (!isKnownEvent(event.type)) return `unknown event type ${event.type}`;
  const result = EVENTS[event.type].schema.safeParse(event.data);
  if (result.success) return undefined;
  return `data does not match ${event.type}: ${result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'} ${i.message}`)
    .join('; ')}`;
}

/** The envelope's id and type, when the payload is JSON enough to say (for the parked row). */
export function peekIdentity(data: Uint8Array): { id?: string; type?: string } {
  try {
    const v = JSON.parse(Buffer.from(data).toString('utf8')) as { id?: unknown; type?: unknown };
    return { id: typeof v?.id === 'string' ? v.id : undefined, type: typeof v?.type === 'string' ? v.type : undefined };
  } catch {
    return {};
  }
}
