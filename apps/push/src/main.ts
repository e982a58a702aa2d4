import { bootService, runMain } from '@im/service-kit';
import { PushModule } from './push.module';

runMain(() => bootService(PushModule.register(), true), 'push');
