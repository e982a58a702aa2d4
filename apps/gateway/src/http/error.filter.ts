import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { errorJson, toErrorBody } from './error-mapping';

/** Maps every error once, at the HTTP edge. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const body = toErrorBody(exception);
    if (body.status >= 500) this.logger.error((exception as Error)?.stack ?? String(exception));
    void host.switchToHttp().getResponse<FastifyReply>().status(body.status).send(errorJson(body));
  }
}
