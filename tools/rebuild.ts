/**
 * `npm run rebuild -- <service> <projection>`: empties a projection and replays it from the
 * event log (the JetStream streams it consumes). A running service picks the replay up by
 * itself; a stopped one does when it starts.
 */
import { Subjects } from '@im/contracts';
import { createDb } from '@im/db';
import { connectNats, rebuildProjection } from '@im/eventstore';
import { commonSpec, readConfig, ServiceDefinition } from '@im/service-kit';
import { expansionsDefinition } from '../apps/expansions/src/expansions.module';
import { messagingDefinition } from '../apps/messaging/src/messaging.module';
import { pushDefinition } from '../apps/push/src/push.module';
import { receiptsDefinition } from '../apps/receipts/src/receipts.module';

const DEFINITIONS: Record<string, ServiceDefinition> = {
  messaging: messagingDefinition,
  expansions: expansionsDefinition,
  receipts: receiptsDefinition,
  push: pushDefinition,
};

function usage(): never {
  const all = Object.values(DEFINITIONS).flatMap((d) => d.projections.map((p) => `  ${d.service} ${p.name}`));
  console.error(`usage: npm run rebuild -- <service> <projection>\nprojections:\n${all.join('\n')}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const [service, name] = process.argv.slice(2);
  const def = DEFINITIONS[service] ?? usage();
  const projection = def.projections.find((p) => p.name === name) ?? usage();
  const config = readConfig(commonSpec);
  const db = createDb({ url: config.databaseUrl, schema: def.service });
  const nats = await connectNats(config.natsUrl, 'im-rebuild');
  try {
    await rebuildProjection({ db, jsm: nats.jsm, subjects: new Subjects(config.subjectPrefix), owner: def.service, projection });
    console.log(`${service}.${name} emptied; it is being replayed from the event log`);
  } finally {
    await nats.nc.close();
    await db.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
