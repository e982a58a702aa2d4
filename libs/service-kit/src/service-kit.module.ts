import { Subjects } from '@im/contracts';
import { createDb } from '@im/db';
import { connectNats } from '@im/eventstore';
import { AppMetrics } from '@im/observability';
import { DynamicModule, Module } from '@nestjs/common';
import { commonSpec, natsAuthFromConfig, readConfig, readSecrets, serviceOpsSpec } from './config';
import { ServiceDefinition, ServiceOptions } from './service-definition';
import { CLOCK, CONFIG, DB, METRICS, NATS, SERVICE_DEFINITION, SUBJECTS, systemClock } from './tokens';

/**
 * Everything a service needs from the platform: config, its database (search_path = its own
 * schema), NATS, subjects, the clock and its metrics registry. The app module adds `ServiceRuntime` next to its
 * `RPC_HANDLERS`, which only it can build.
 */
@Module({})
export class ServiceKitModule {
  static forService(def: ServiceDefinition, options: ServiceOptions = {}): DynamicModule {
    // Read (and refused) here, when the module is built: before anything connects.
    const config = { ...readConfig(commonSpec, process.env, options.config), ...readConfig(serviceOpsSpec, process.env), options };
    // A service holds no secret today, but one deployed with a known or empty secret is refused
    // like the gateway, so a production stack cannot come up half-configured.
    readSecrets(process.env);
    const natsAuth = options.natsAuth ?? natsAuthFromConfig(config);
    return {
      module: ServiceKitModule,
      global: true,
      providers: [
        { provide: SERVICE_DEFINITION, useValue: def },
        { provide: CONFIG, useValue: config },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        { provide: SUBJECTS, useValue: new Subjects(config.subjectPrefix) },
        { provide: DB, useFactory: () => createDb({ url: config.databaseUrl, schema: def.service }) },
        { provide: NATS, useFactory: () => connectNats(config.natsUrl, `im-${def.service}`, natsAuth) },
        { provide: METRICS, useFactory: () => new AppMetrics(def.service, { processMetrics: true }) },
      ],
      exports: [SERVICE_DEFINITION, CONFIG, CLOCK, SUBJECTS, DB, NATS, METRICS],
    };
  }
}
