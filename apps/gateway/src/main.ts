import { runMain } from '@im/service-kit';
import { Logger } from '@nestjs/common';
import { createGateway } from './create-gateway';
import { gatewayConfig } from './gateway.config';

runMain(async () => {
  const config = gatewayConfig();
  const app = await createGateway(config);
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  await app.listen(config.port, config.host);
  new Logger('gateway').log(`listening on :${config.port}`);
}, 'gateway');
