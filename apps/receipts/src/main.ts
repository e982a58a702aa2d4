import { bootService, runMain } from '@im/service-kit';
import { ReceiptsModule } from './receipts.module';

runMain(() => bootService(ReceiptsModule.register(), true), 'receipts');
