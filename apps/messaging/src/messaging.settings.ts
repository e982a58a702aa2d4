import { ConfigOf, defineConfig, envVar, EnvTypes, readConfig } from '@im/service-kit';
import { parseNetworkList } from '@im/outbound';
import { z } from 'zod';

/** Messaging's own knobs, from the environment unless a test passes them in. */
export const MESSAGING_SETTINGS = Symbol('MESSAGING_SETTINGS');

/** Comma-separated CIDRs (`10.0.0.0/8,fd00::/8`), each checked. */
const networks = () =>
  z.string().transform((s, ctx) => {
    try {
      return parseNetworkList(s, 'network');
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `must be comma-separated networks in CIDR notation (${(e as Error).message})` });
      return z.NEVER;
    }
  });

export const messagingSpec = defineConfig({
  /** How long after sending its sender may recall a message (the variable is in seconds). */
  recallWindowMs: envVar('RECALL_WINDOW_SECONDS', EnvTypes.positive().transform((s) => s * 1000), 120_000),
  /** Networks the before-send callback may reach although private or loopback (an app server on a private network, tests). */
  beforeSendAllowedNetworks: envVar('BEFORE_SEND_ALLOWED_NETWORKS', networks(), [] as string[]),
});

export type MessagingSettings = ConfigOf<typeof messagingSpec>;

export function messagingSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<MessagingSettings> = {}): MessagingSettings {
  return readConfig(messagingSpec, env, overrides);
}
