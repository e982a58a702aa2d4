import { RpcHandlers } from '@im/eventstore';
import { PostSendService } from './callbacks/post-send.service';
import { DevicesService } from './devices/devices.service';
import { NotificationsService } from './notifications/notifications.service';
import { PushesQueries } from './pushes/pushes.queries';

/** The thin NATS edge: each method maps one validated request to one call. */
export function pushRpc(devices: DevicesService, notifications: NotificationsService, pushes: PushesQueries, postSend: PostSendService): RpcHandlers<'push'> {
  return {
    'devices.register': (r) => devices.register(r),
    'devices.remove': (r) => devices.remove(r),
    'devices.webpushKey': async () => devices.webpushKey(),
    'notifications.update': (r) => notifications.update(r),
    'notifications.muted': (r) => notifications.muted(r),
    'pushes.list': (r) => pushes.list(r),
    'callbacks.postSend.set': (r) => postSend.set(r),
    'callbacks.postSend.get': (r) => postSend.get(r),
    'callbacks.postSend.remove': (r) => postSend.remove(r),
  };
}
