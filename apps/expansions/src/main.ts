import { bootService, runMain } from '@im/service-kit';
import { ExpansionsModule } from './expansions.module';

runMain(() => bootService(ExpansionsModule.register(), true), 'expansions');
