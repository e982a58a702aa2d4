import { EventEnvelope } from '@im/contracts';
import { Kysely } from 'kysely';
import { AppliedEvent, composeProjections, Projection } from './projection';

const trx = {} as Kysely<any>;
const event = (n: number): AppliedEvent => ({
  event: { type: 'message.sent', data: { n } } as unknown as EventEnvelope,
  meta: { stream: 'S', streamSequence: n },
});

/** A part that records what it was given, set-based or one by one. */
function part(name: string, log: string[], batched: boolean, extra: Partial<Projection> = {}): Projection {
  return {
    name,
    sources: ['messaging'],
    tables: [`${name}_t`],
    async apply(_trx, e) {
      log.push(`${name}:${(e.data as { n: number }).n}`);
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
