import { bootService, runMain } from '@im/service-kit';
import { MessagingModule } from './messaging.module';

runMain(() => bootService(MessagingModule.register(), true), 'messaging');
