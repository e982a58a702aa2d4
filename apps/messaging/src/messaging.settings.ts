import { ConfigOf, defineConfig, envVar, EnvTypes, readConfig } from '@im/service-kit';

/** Messaging's own knobs, from the environment unless a test passes them in. */
export const MESSAGING_SETTINGS = Symbol('MESSAGING_SETTINGS');

export const messagingSpec = defineConfig({
  /** How long after sending its sender may recall a message (the variable is in seconds). */
  recallWindowMs: envVar('RECALL_WINDOW_SECONDS', EnvTypes.positive().transform((s) => s * 1000), 120_000),
});

export type MessagingSettings = ConfigOf<typeof messagingSpec>;

export function messagingSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<MessagingSettings> = {}): MessagingSettings {
  return readConfig(messagingSpec, env, overrides);
}
