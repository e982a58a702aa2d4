/** Messaging's own knobs, from the environment unless a test passes them in. */
export const MESSAGING_SETTINGS = Symbol('MESSAGING_SETTINGS');

export interface MessagingSettings {
  /** How long after sending its sender may recall a message. */
  recallWindowMs: number;
}

export function messagingSettings(env: NodeJS.ProcessEnv = process.env): MessagingSettings {
  return { recallWindowMs: Number(env.RECALL_WINDOW_SECONDS ?? 120) * 1000 };
}
