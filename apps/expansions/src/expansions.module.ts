import { Subjects } from '@im/contracts';
import { composeProjections, Nats, RpcClient } from '@im/eventstore';
import {
  EXTRA_PROJECTIONS,
  NATS,
  RPC_HANDLERS,
  ServiceDefinition,
  ServiceKitModule,
  ServiceOptions,
  ServiceRuntime,
  SUBJECTS,
} from '@im/service-kit';
import { DynamicModule, Module } from '@nestjs/common';
import { expansionLifecycleProjection } from './expansions/expansion-lifecycle.projection';
import { ExpansionsService } from './expansions/expansions.service';
import { expansionsRpc } from './expansions.rpc';
import { messagingViewProjection } from './messaging-view/messaging-view.projection';
import { ExpansionsEnvSettings, expansionsSettings } from './expansions.settings';
import { migrations } from './migrations';
import { claimNoticesProjection } from './red-packets/claim-notices.projection';
import { CLAIM_ADMISSION, ClaimAdmission } from './red-packets/claim-admission';
import { DROPPED_NOTICES, DroppedNotices } from './red-packets/dropped-notices';
import { packetExpansionProjection } from './red-packets/red-packet-expansion.projection';
import { EXPIRY_SCAN_MS, RedPacketExpiryWorker } from './red-packets/expiry.worker';
import { RedPacketMessenger } from './red-packets/red-packet-message';
import { cryptoRandom, RANDOM, RED_PACKET_MESSENGER, RedPacketsService } from './red-packets/red-packets.service';

export const expansionsDefinition: ServiceDefinition = {
  service: 'expansions',
  migrations,
  // The messaging view and the lifecycle reaction share one consumer (one delivery and one
  // commit per batch of messaging's events); re-applying the lifecycle changes nothing, so a
  // rebuild of message_refs may replay it.
  projections: [composeProjections(messagingViewProjection.name, [messagingViewProjection, expansionLifecycleProjection]), packetExpansionProjection],
};

export interface ExpansionsSettings extends ExpansionsEnvSettings {
  random: () => number;
}

@Module({})
export class ExpansionsModule {
  static register(options: ServiceOptions = {}, settings: Partial<ExpansionsSettings> = {}): DynamicModule {
    const { expiryScanMs, claimsPerPacket, claimsTotal, claimsMaxWaitMs } = expansionsSettings(process.env, settings);
    return {
      module: ExpansionsModule,
      imports: [ServiceKitModule.forService(expansionsDefinition, options)],
      providers: [
        ServiceRuntime,
        ExpansionsService,
        RedPacketsService,
        RedPacketExpiryWorker,
        { provide: EXPIRY_SCAN_MS, useValue: expiryScanMs },
        { provide: RANDOM, useValue: settings.random ?? cryptoRandom },
        { provide: CLAIM_ADMISSION, useValue: new ClaimAdmission({ perPacket: claimsPerPacket, total: claimsTotal, maxWaitMs: claimsMaxWaitMs }) },
        {
          provide: RED_PACKET_MESSENGER,
          useFactory: (nats: Nats, subjects: Subjects) => new RedPacketMessenger(RpcClient.internal(nats.nc, subjects)),
          inject: [NATS, SUBJECTS],
        },
        { provide: DROPPED_NOTICES, useValue: new DroppedNotices() },
        {
          provide: EXTRA_PROJECTIONS,
          useFactory: (m: RedPacketMessenger, dropped: DroppedNotices) => [claimNoticesProjection(m, dropped)],
          inject: [RED_PACKET_MESSENGER, DROPPED_NOTICES],
        },
        { provide: RPC_HANDLERS, useFactory: expansionsRpc, inject: [ExpansionsService, RedPacketsService, CLAIM_ADMISSION] },
      ],
    };
  }
}
