/**
 * `npm run parked -- list [service]`: what the projection consumers stepped over, per service
 * schema (DATABASE_URL): messages they could not apply, and gaps in their streams.
 * `npm run parked -- retry <service>:<id>`: queue a parked message for the running service,
 * whose consumer re-applies it within a few seconds (the row goes, or comes back with the new
 * error). `npm run parked -- drop <service>:<id>`: forget it.
 */
import { ServiceName, SERVICES } from '@im/contracts';
import { CommonConfig, createDb } from '@im/db';
import { dropParked, listParked, ParkedEvent, requestRetry } from '@im/eventstore';
import { commonSpec, readConfig } from '@im/service-kit';
import { Kysely } from 'kysely';

const USAGE = 'usage: npm run parked -- list [service] | retry <service>:<id> | drop <service>:<id>';

/** The command without the process around it: lines to print and an exit code. */
export async function parkedCommand(args: string[], config: CommonConfig = readConfig(commonSpec)): Promise<{ code: number; lines: string[] }> {
  const [verb, arg] = args;
  if (verb === 'list') {
    if (arg !== undefined && !isService(arg)) return { code: 2, lines: [USAGE] };
    const lines: string[] = [];
    for (const service of arg ? [arg] : SERVICES) {
      const rows = await withSchema(config, service, (db) => listParked(db)).catch((e) => (missingTable(e) ? [] : Promise.reject(e)));
      lines.push(...rows.map((r) => formatParked(service, r)));
    }
    return { code: 0, lines: lines.length > 0 ? lines : ['nothing parked'] };
  }
  if (verb === 'retry' || verb === 'drop') {
    const ref = parseRef(arg);
    if (!ref) return { code: 2, lines: [USAGE] };
    try {
      const row = await withSchema(config, ref.service, (db) => (verb === 'retry' ? requestRetry(db, ref.id) : dropParked(db, ref.id)));
      const done = verb === 'retry' ? 'queued: the running service re-applies it within a few seconds' : 'dropped';
      return { code: 0, lines: [`${formatParked(ref.service, row)}`, done] };
    } catch (e) {
      return { code: 1, lines: [(e as Error).message] };
    }
  }
  return { code: 2, lines: [USAGE] };
}

export function formatParked(service: ServiceName, r: ParkedEvent): string {
  const where = r.kind === 'gap' ? `#${r.stream_sequence}..${r.last_sequence ?? '?'}` : `#${r.stream_sequence}`;
  const what = r.kind === 'gap' ? 'gap' : `${r.event_type ?? '?'} ${r.event_id ?? '(no id)'} on ${r.subject ?? '?'}`;
  const payload = r.payload ? ` payload ${JSON.stringify(r.payload.subarray(0, 120).toString('utf8'))}` : '';
  const queued = r.retry_requested_at ? ' [retry queued]' : '';
  return `${service}:${r.id} ${r.projection} ${r.stream} ${where} ${what} at ${r.parked_at.toISOString()} (attempts ${r.attempts})${queued}: ${r.error}${payload}`;
}

function parseRef(arg: string | undefined): { service: ServiceName; id: number } | undefined {
  const m = /^([a-z]+):(\d+)$/.exec(arg ?? '');
  return m && isService(m[1]) ? { service: m[1], id: Number(m[2]) } : undefined;
}

function isService(s: string): s is ServiceName {
  return (SERVICES as readonly string[]).includes(s);
}

/** A schema that was never migrated has no table: nothing parked there. */
function missingTable(e: unknown): boolean {
  return (e as { code?: string }).code === '42P01';
}

async function withSchema<T>(config: CommonConfig, schema: ServiceName, fn: (db: Kysely<any>) => Promise<T>): Promise<T> {
  const db = createDb({ url: config.databaseUrl, schema, poolSize: 1 });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  parkedCommand(process.argv.slice(2)).then(
    ({ code, lines }) => {
      (code === 0 ? console.log : console.error)(lines.join('\n'));
      process.exit(code);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
