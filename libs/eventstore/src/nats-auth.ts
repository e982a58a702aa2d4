import { readFileSync } from 'node:fs';
import { ConnectionOptions, credsAuthenticator } from '@nats-io/transport-node';

/**
 * Who a process is on NATS. Unset (no variable below), the connection is anonymous: the local
 * `npm run stack` against an open nats-server. Set, exactly one kind of credential:
 * `NATS_USER` + `NATS_PASSWORD` (what deploy/nats/nats.conf defines), `NATS_TOKEN`, or
 * `NATS_CREDS` (a JWT .creds file, for an operator-mode deployment).
 *
 * The inbox prefix is part of the identity: replies come back on `_INBOX.<user>.>`, and the
 * server config lets each user subscribe to its own inboxes only, so no client can read the
 * replies (or the JetStream deliveries) meant for another. `NATS_INBOX_PREFIX` overrides it.
 */
export interface NatsAuth {
  user?: string;
  pass?: string;
  token?: string;
  credsFile?: string;
  inboxPrefix?: string;
}

export function natsAuthFromEnv(env: NodeJS.ProcessEnv = process.env): NatsAuth | undefined {
  return natsAuthOf({ user: env.NATS_USER, pass: env.NATS_PASSWORD, token: env.NATS_TOKEN, credsFile: env.NATS_CREDS, inboxPrefix: env.NATS_INBOX_PREFIX });
}

/** The credentials the variables stand for; throws a message naming them when they do not fit together. */
export function natsAuthOf(given: NatsAuth): NatsAuth | undefined {
  const { user, pass, token, credsFile, inboxPrefix } = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, v || undefined])) as NatsAuth;
  const kinds = [user || pass ? 'NATS_USER/NATS_PASSWORD' : null, token ? 'NATS_TOKEN' : null, credsFile ? 'NATS_CREDS' : null].filter(Boolean);
  if (kinds.length > 1) throw new Error(`NATS credentials: set only one of ${kinds.join(', ')}`);
  if ((user && !pass) || (pass && !user)) throw new Error('NATS credentials: NATS_USER and NATS_PASSWORD go together');
  if (kinds.length === 0) return inboxPrefix ? { inboxPrefix } : undefined;
  return { user, pass, token, credsFile, inboxPrefix };
}

/** Where this identity's replies arrive: `_INBOX.<user>` for a named user, else NATS's default. */
export function inboxPrefixOf(auth: NatsAuth | undefined): string {
  if (auth?.inboxPrefix) return auth.inboxPrefix;
  return auth?.user ? `_INBOX.${auth.user}` : '_INBOX';
}

/** The connect options the credentials stand for (none when anonymous). */
export function natsAuthOptions(auth: NatsAuth | undefined): Partial<ConnectionOptions> {
  const inboxPrefix = inboxPrefixOf(auth);
  if (auth?.credsFile) return { authenticator: credsAuthenticator(readFileSync(auth.credsFile)), inboxPrefix };
  if (auth?.token) return { token: auth.token, inboxPrefix };
  if (auth?.user) return { user: auth.user, pass: auth.pass, inboxPrefix };
  return { inboxPrefix };
}
