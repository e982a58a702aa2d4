import { EventType } from '@im/contracts';
import { Kysely } from 'kysely';
import { AppliedEvent, composeProjections, defineProjection, Projection, TypedEvent } from './projection';

const trx = {} as Kysely<any>;
const event = (n: number, type: EventType = 'message.sent'): AppliedEvent => ({
  event: { type, data: { n } } as unknown as TypedEvent,
  meta: { stream: 'S', streamSequence: n },
});
const n = (e: TypedEvent) => (e.data as unknown as { n: number }).n;

/** A part that records what it was given, set-based or one by one. */
function part(name: string, log: string[], batched: boolean, extra: Partial<Projection> = {}): Projection {
  return {
    name,
    sources: ['messaging'],
    tables: [`${name}_t`],
    handles: ['message.sent'],
    async apply(_trx, e) {
      log.push(`${name}:${n(e)}`);
    },
    ...(batched ? { applyBatch: async (_trx: Kysely<any>, es: AppliedEvent[]) => void log.push(`${name}:[${es.map((e) => e.meta.streamSequence).join(',')}]`) } : {}),
    ...extra,
  };
}

describe('composeProjections', () => {
  it('given a view and a reaction, when a batch comes, then the view applies all of it before the reaction sees any', async () => {
    const log: string[] = [];
    const both = composeProjections('view', [part('view', log, true), part('reaction', log, false)]);
    await both.applyBatch!(trx, [event(1), event(2)]);
    expect(log).toEqual(['view:[1,2]', 'reaction:1', 'reaction:2']);
  });

  it('given parts, when one event is applied alone, then each part applies it in order', async () => {
    const log: string[] = [];
    await composeProjections('view', [part('a', log, true), part('b', log, true)]).apply(trx, event(7).event, event(7).meta);
    expect(log).toEqual(['a:7', 'b:7']);
  });

  it('handles the union of its parts types, and offers each part only its own', async () => {
    const log: string[] = [];
    const recalls = part('recalls', log, false, { handles: ['message.recalled'] });
    const c = composeProjections('view', [part('sent', log, true), recalls, part('none', log, true, { handles: ['group.upserted'] })]);
    expect(c.handles).toEqual(['message.sent', 'message.recalled', 'group.upserted']);
    await c.applyBatch!(trx, [event(1), event(2, 'message.recalled'), event(3)]);
    expect(log).toEqual(['sent:[1,3]', 'recalls:2']);
    log.length = 0;
    await c.apply(trx, event(4, 'message.recalled').event, event(4).meta);
    expect(log).toEqual(['recalls:4']);
  });

  it('takes its name, and the union of the sources and tables of its parts (a rebuild empties them all)', () => {
    const log: string[] = [];
    const c = composeProjections('push_view', [part('a', log, false, { sources: ['messaging', 'receipts'] }), part('b', log, false, { sources: ['messaging', 'push'] })]);
    expect(c.name).toBe('push_view');
    expect(c.sources).toEqual(['messaging', 'receipts', 'push']);
    expect(c.tables).toEqual(['a_t', 'b_t']);
  });

  it('given a part that fails, then the batch fails (the consumer rolls it back and finds the culprit event by event)', async () => {
    const failing = part('b', [], false, { apply: async () => Promise.reject(new Error('bad')) });
    await expect(composeProjections('v', [part('a', [], true), failing]).applyBatch!(trx, [event(1)])).rejects.toThrow('bad');
  });
});

describe('defineProjection', () => {
  it('refuses a handled type that none of its sources publishes (it would never arrive)', () => {
    const p = { name: 'p', tables: [], handles: ['conversation.read'] as const, apply: async () => undefined };
    expect(() => defineProjection({ ...p, sources: ['messaging'] })).toThrow('projection p handles conversation.read but consumes only messaging');
    expect(defineProjection({ ...p, sources: ['messaging', 'receipts'] }).handles).toEqual(['conversation.read']);
  });
});
