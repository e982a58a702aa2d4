import { CONFIG, ServiceRuntime, Ticker } from '@im/service-kit';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { POST_SEND_CONFIG } from './callbacks/post-send.service';
import { PostSendConfig } from './callbacks/post-send-config';
import { DeviceDirectory } from './devices/device-directory';
import { DEVICE_DIRECTORY } from './devices/devices.service';

/**
 * How stale the planner's copies of the devices and the post-send configuration can be at most,
 * for a change made through another replica whose event this one's consumer was not delivered
 * (it became the leader after it). This replica's own changes, and the events it consumes, are
 * applied at once. Two small reads every 5 s, not one per batch.
 */
export const DIRECTORY_REFRESH_MS = 5_000;

@Injectable()
export class DirectoryRefresh implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly ticker: Ticker;

  constructor(
    @Inject(CONFIG) private readonly config: { options: { background?: boolean } },
    @Inject(DEVICE_DIRECTORY) devices: DeviceDirectory,
    @Inject(POST_SEND_CONFIG) postSend: PostSendConfig,
    private readonly runtime: ServiceRuntime,
  ) {
    this.ticker = new Ticker('push-directory-refresh', DIRECTORY_REFRESH_MS, () => Promise.all([devices.refresh(), postSend.refresh()]));
  }

  onApplicationBootstrap(): void {
    if (this.config.options.background !== false) this.ticker.start(this.runtime.ready);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ticker.stop();
  }
}
