import { Subjects } from '@im/contracts';
import { Kysely } from 'kysely';
import { composeProjections, Nats, RpcClient } from '@im/eventstore';
import { ensureDeliveryStream, PresenceBoard } from '@im/realtime';
import {
  Clock,
  CLOCK,
  DB,
  EXTRA_PROJECTIONS,
  NATS,
  RPC_HANDLERS,
  ServiceDefinition,
  ServiceKitModule,
  ServiceOptions,
  ServiceRuntime,
  SUBJECTS,
} from '@im/service-kit';
import { AddressPolicy, OutboundClient } from '@im/outbound';
import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { PostSendConfig } from './callbacks/post-send-config';
import { POST_SEND_CONFIG, PostSendService } from './callbacks/post-send.service';
import { postSendPlanner } from './callbacks/post-send.planner';
import { PostSendWorker } from './callbacks/post-send.worker';
import { DeviceDirectory, deviceDirectoryReaction } from './devices/device-directory';
import { DEVICE_DIRECTORY, DevicesService } from './devices/devices.service';
import { DirectoryRefresh } from './directory-refresh';
import { DeliveryPublisher } from './fanout/delivery-publisher';
import { fanoutReaction } from './fanout/fanout.reaction';
import { resyncMarkers } from './fanout/resync-marker';
import { migrations } from './migrations';
import { CALLBACK_WAKE, PUSH_WAKE, WakeSignal } from './pacer';
import { NotificationsService } from './notifications/notifications.service';
import { pushRpc } from './push.rpc';
import { PUSH_OUTBOUND, PUSH_SETTINGS, PushSettings, pushSettings } from './push.settings';
import { Badges } from './pushes/badges';
import { pushPlannerReaction } from './pushes/push-planner.reaction';
import { PushTransport } from './pushes/push-transport';
import { PUSH_BADGES, PUSH_PRESENCE, PUSH_TRANSPORT, PushWorker } from './pushes/push.worker';
import { PushesQueries } from './pushes/pushes.queries';
import { PUSH_VIEW, pushViewProjection } from './view/push-view.projection';
import type { DB as PushDB } from './db.generated';

export const pushDefinition: ServiceDefinition = {
  service: 'push',
  migrations,
  projections: [pushViewProjection],
};

const DELIVERY_PUBLISHER = Symbol('DELIVERY_PUBLISHER');

/**
 * Presence is heard from the gateways before the reactions start consuming. A user back after
 * longer than deliveries are kept for the absent gets a resync marker first (see resync-marker.ts).
 */
async function startPresence(nats: Nats, subjects: Subjects, settings: PushSettings): Promise<PresenceBoard> {
  const board = new PresenceBoard(nats.nc, subjects, Date.now, { onArrival: resyncMarkers(nats, subjects), arrivalWindowMs: settings.recentMs });
  board.start();
  await board.settled(100);
  return board;
}

/**
 * One consumer per stream for all of push: the view and the device directory, then the push
 * planner and the fan-out reading them, then the post-send callback planner, in one transaction
 * per batch. It takes the view's place (same name and checkpoint), so
 * `npm run rebuild -- push push_view` still rebuilds the view alone; the reactions skip what a
 * rebuild replays (both drop events older than their max age).
 */
function pushConsumer(
  publisher: DeliveryPublisher,
  presence: PresenceBoard,
  subjects: Subjects,
  settings: PushSettings,
  clock: Clock,
  devices: DeviceDirectory,
  postSend: PostSendConfig,
  pushWake: WakeSignal,
  callbackWake: WakeSignal,
) {
  const now = () => clock.now().getTime();
  return [
    composeProjections(PUSH_VIEW, [
      pushViewProjection,
      deviceDirectoryReaction(devices),
      pushPlannerReaction({
        presence,
        devices,
        now,
        maxAgeMs: settings.pushMaxAgeMs,
        streamDelayMs: settings.streamPushDelayMs,
        wake: (delayMs) => pushWake.wake(delayMs),
      }),
      fanoutReaction({ publisher, presence, subjects, now, settings: { recentMs: settings.recentMs, maxAgeMs: settings.deliveryMaxAgeMs } }),
      // Reads every stream too: in the same consumer, not one more delivery and commit per batch.
      postSendPlanner(postSend, now, () => callbackWake.wake()),
    ]),
  ];
}

/** One engine for registration checks and sending, so both apply the same policy. */
function outboundClient(s: PushSettings): OutboundClient {
  return new OutboundClient({
    policy: new AddressPolicy(s.allowedNetworks, 'PUSH_ALLOWED_NETWORKS'),
    deadlineMs: s.timeoutMs,
    maxResponseBytes: s.maxResponseBytes,
    perHostConcurrency: s.perHostConcurrency,
    concurrency: s.concurrency,
  });
}

@Module({})
export class PushModule implements OnApplicationShutdown {
  constructor(@Inject(PUSH_PRESENCE) private readonly presence: PresenceBoard) {}

  static register(options: ServiceOptions = {}, settings: Partial<PushSettings> = {}): DynamicModule {
    const pushConfig = pushSettings(process.env, settings);
    return {
      module: PushModule,
      imports: [ServiceKitModule.forService(pushDefinition, options)],
      providers: [
        ServiceRuntime,
        DevicesService,
        NotificationsService,
        PushesQueries,
        PushWorker,
        PostSendService,
        PostSendWorker,
        DirectoryRefresh,
        { provide: PUSH_SETTINGS, useValue: pushConfig },
        { provide: PUSH_WAKE, useValue: new WakeSignal() },
        { provide: CALLBACK_WAKE, useValue: new WakeSignal() },
        {
          provide: DEVICE_DIRECTORY,
          useFactory: (db: Kysely<PushDB>, clock: Clock) => new DeviceDirectory(db, () => clock.now().getTime()),
          inject: [DB, CLOCK],
        },
        { provide: POST_SEND_CONFIG, useFactory: (db: Kysely<PushDB>) => new PostSendConfig(db), inject: [DB] },
        { provide: PUSH_PRESENCE, useFactory: startPresence, inject: [NATS, SUBJECTS, PUSH_SETTINGS] },
        {
          provide: DELIVERY_PUBLISHER,
          useFactory: async (nats: Nats, subjects: Subjects, settings: PushSettings) => {
            await ensureDeliveryStream(nats.jsm, subjects, settings.replaySeconds);
            return new DeliveryPublisher(nats, subjects);
          },
          inject: [NATS, SUBJECTS, PUSH_SETTINGS],
        },
        { provide: PUSH_OUTBOUND, useFactory: outboundClient, inject: [PUSH_SETTINGS] },
        {
          provide: PUSH_TRANSPORT,
          useFactory: (s: PushSettings, outbound: OutboundClient, clock: Clock) => new PushTransport(s.vapid, outbound, () => clock.now().getTime()),
          inject: [PUSH_SETTINGS, PUSH_OUTBOUND, CLOCK],
        },
        { provide: PUSH_BADGES, useFactory: (nats: Nats, subjects: Subjects) => new Badges(RpcClient.internal(nats.nc, subjects)), inject: [NATS, SUBJECTS] },
        {
          provide: EXTRA_PROJECTIONS,
          useFactory: pushConsumer,
          inject: [DELIVERY_PUBLISHER, PUSH_PRESENCE, SUBJECTS, PUSH_SETTINGS, CLOCK, DEVICE_DIRECTORY, POST_SEND_CONFIG, PUSH_WAKE, CALLBACK_WAKE],
        },
        { provide: RPC_HANDLERS, useFactory: pushRpc, inject: [DevicesService, NotificationsService, PushesQueries, PostSendService] },
      ],
    };
  }

  onApplicationShutdown(): void {
    this.presence.stop();
  }
}
