import { Errors } from '@im/contracts';
import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { toErrorBody } from './error-mapping';

describe('toErrorBody', () => {
  it('keeps named errors as they are', () => {
    expect(toErrorBody(Errors.notFound('group'))).toMatchObject({ code: 'NOT_FOUND', status: 404, message: 'group not found or no access' });
  });

  it("maps Fastify's and Nest's refusals to codes", () => {
    expect(toErrorBody(new BadRequestException("Body is not valid JSON but content-type is set to 'application/json'"))).toMatchObject({ code: 'INVALID_JSON', status: 400 });
    expect(toErrorBody(new PayloadTooLargeException())).toMatchObject({ code: 'CONTENT_TOO_LARGE', status: 413 });
    expect(toErrorBody(new NotFoundException())).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(toErrorBody(Object.assign(new Error('big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }))).toMatchObject({ code: 'CONTENT_TOO_LARGE' });
  });

  it('never leaks an unexpected error', () => {
    expect(toErrorBody(new Error('password=hunter2 at db.ts:12'))).toEqual({ code: 'INTERNAL', status: 500, message: 'internal error' });
  });
});
