import { DynamicModule, INestApplicationContext } from '@nestjs/common';
import type { NatsAuth } from '@im/eventstore';
import { bootService, Clock, ServiceOptions, ServiceRuntime } from '@im/service-kit';
import { createGateway, registeredRoutes } from '../../apps/gateway/src/create-gateway';
import { GatewayConfig, gatewayConfig } from '../../apps/gateway/src/gateway.config';
import { ApiClient, TestEnv } from '@im/testing';

export const TEST_API_KEY = 'test-server-key';
export const TEST_TOKEN_SECRET = 'test-token-secret';

export type AppName = 'messaging' | 'expansions' | 'receipts' | 'push';

type ServiceModule = { register(options: ServiceOptions, settings?: object): DynamicModule };

/**
 * Settings handed to a service module instead of read from the environment, e.g.
 * `{ push: { allowedNetworks: ['127.0.0.0/8'] } }` (the module's `register(options, settings)`).
 */
export type ServiceSettings = Partial<Record<AppName, object>>;

/** Loaded on demand: a test that runs two services does not load the other three. */
/* eslint-disable @typescript-eslint/no-require-imports -- a lazy require is the point here */
const MODULES: Record<AppName, () => ServiceModule> = {
  messaging: () => require('../../apps/messaging/src/messaging.module').MessagingModule,
  expansions: () => require('../../apps/expansions/src/expansions.module').ExpansionsModule,
  receipts: () => require('../../apps/receipts/src/receipts.module').ReceiptsModule,
  push: () => require('../../apps/push/src/push.module').PushModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export interface TestStack {
  api: ApiClient;
  url: string;
  routes: Array<{ method: string; url: string }>;
  services: Map<AppName, INestApplicationContext>;
  /** A service's metrics and health listener (`metrics: true` only). */
  opsUrl(name: AppName): string;
  /** The gateway app (its providers, e.g. the stream registry). */
  gateway: INestApplicationContext;
  /** Closes the gateway alone (once; `close` then skips it), as SIGTERM would. */
  closeGateway(): Promise<void>;
  stopService(name: AppName): Promise<void>;
  startService(name: AppName): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Which services run (the gateway always does). */
  only?: AppName[];
  /** The services' and the gateway's clock. */
  clock?: Clock;
  /** Gateway config values instead of the environment's (e.g. `previousTokenSecrets`). */
  gateway?: Partial<GatewayConfig>;
  /** Service settings instead of the environment's, e.g. `{ push: { allowedNetworks: ['127.0.0.0/8'] } }`. */
  settings?: ServiceSettings;
  /** Each app's NATS credentials (as in production, one user per app); unset, from the environment. */
  natsAuth?: Partial<Record<AppName | 'gateway', NatsAuth>>;
  /** Each service's metrics and health listener on a free port (`opsUrl`); off otherwise. */
  metrics?: boolean;
}

/** Boots the apps in this process against the env's database and prefix, the gateway on a free port. */
export async function startStack(env: TestEnv, opts: StackOptions = {}): Promise<TestStack> {
  process.env.LOG_LEVEL ??= 'silent';
  const config = { databaseUrl: env.databaseUrl, natsUrl: env.natsUrl, subjectPrefix: env.prefix };
  const services = new Map<AppName, INestApplicationContext>();
  const startService = async (name: AppName) => {
    // Several services in one process: each listens on a free port if asked, none otherwise.
    const serviceOptions: ServiceOptions = { config, clock: opts.clock, natsAuth: opts.natsAuth?.[name], metricsPort: opts.metrics ? 0 : null };
    services.set(name, await bootService(MODULES[name]().register(serviceOptions, opts.settings?.[name])));
  };
  const names = opts.only ?? (Object.keys(MODULES) as AppName[]);
  await Promise.all(names.map(startService));
  const gateway = await createGateway(
    gatewayConfig(process.env, { ...config, apiKey: TEST_API_KEY, tokenSecret: TEST_TOKEN_SECRET, port: 0, natsAuth: opts.natsAuth?.gateway, ...opts.gateway }),
    { clock: opts.clock },
  );
  // A backlog past Node's 511, so a test's burst of thousands of connections is queued, not reset.
  await gateway.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  const url = await gateway.getUrl();
  let gatewayClosed: Promise<void> | undefined;
  const closeGateway = () => (gatewayClosed ??= gateway.close());
  const stopService = async (name: AppName) => {
    await services.get(name)?.close();
    services.delete(name);
  };
  return {
    api: new ApiClient(url.replace('[::1]', '127.0.0.1'), TEST_API_KEY),
    url,
    routes: registeredRoutes(gateway),
    services,
    opsUrl(name: AppName) {
      const url = services.get(name)?.get(ServiceRuntime).opsUrl;
      if (!url) throw new Error(`${name} has no metrics listener (start the stack with metrics: true)`);
      return url;
    },
    gateway,
    closeGateway,
    stopService,
    startService,
    async close() {
      await closeGateway();
      await Promise.all([...services.keys()].map(stopService));
    },
  };
}
