import { commonConfig, CommonConfig } from '@im/db';
import { Logger } from '@nestjs/common';

export interface GatewayConfig extends CommonConfig {
  port: number;
  apiKey: string;
  tokenSecret: string;
  tokenTtlSeconds: number;
  /** SSE comment lines this often keep idle streams open through proxies. */
  heartbeatMs: number;
}

const DEV_API_KEY = 'dev-server-key';
const DEV_TOKEN_SECRET = 'dev-token-secret-change-me';

/** Development defaults keep `npm run stack` one command; each one used is warned about. */
export function gatewayConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const logger = new Logger('config');
  const apiKey = overrides.apiKey ?? env.IM_API_KEY ?? (logger.warn('IM_API_KEY unset: using the development key'), DEV_API_KEY);
  const tokenSecret =
    overrides.tokenSecret ?? env.IM_TOKEN_SECRET ?? (logger.warn('IM_TOKEN_SECRET unset: using the development secret'), DEV_TOKEN_SECRET);
  return {
    ...commonConfig(env),
    port: Number(env.PORT ?? 3000),
    tokenTtlSeconds: 30 * 24 * 3600,
    heartbeatMs: Number(env.STREAM_HEARTBEAT_MS ?? 15_000),
    ...overrides,
    apiKey,
    tokenSecret,
  };
}
