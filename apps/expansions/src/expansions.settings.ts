import { ConfigOf, defineConfig, envVar, EnvTypes, readConfig } from '@im/service-kit';

/** The expansions service's own knobs, from the environment unless a test passes them in. */
export const expansionsSpec = defineConfig({
  /** How often the expiry worker looks for red packets past their expiry. */
  expiryScanMs: envVar('RED_PACKET_EXPIRY_SCAN_MS', EnvTypes.positive(), 1000),
  /** Claims admitted at once, per packet and in all, and how long an admitted one may wait (red-packets/claim-admission.ts). */
  claimsPerPacket: envVar('CLAIMS_MAX_IN_FLIGHT_PER_PACKET', EnvTypes.positive(), 100),
  claimsTotal: envVar('CLAIMS_MAX_IN_FLIGHT', EnvTypes.positive(), 2000),
  claimsMaxWaitMs: envVar('CLAIMS_MAX_WAIT_MS', EnvTypes.positive(), 5000),
});

export type ExpansionsEnvSettings = ConfigOf<typeof expansionsSpec>;

export function expansionsSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ExpansionsEnvSettings> = {}): ExpansionsEnvSettings {
  return readConfig(expansionsSpec, env, overrides);
}
