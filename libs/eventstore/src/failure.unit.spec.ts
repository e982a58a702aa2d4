import { AppError, Errors } from '@im/contracts';
import { DatabaseError } from 'pg';
import { z } from 'zod';
import { classifyFailure, PoisonEvent, RetryLater } from './failure';

const pg = (code: string) => Object.assign(new DatabaseError('refused', 0, 'error'), { code });
const system = (code: string) => Object.assign(new Error(code), { code });

describe('classifyFailure', () => {
  it.each([
    ['a poison event', new PoisonEvent('not JSON')],
    ['a domain refusal', Errors.forbidden()],
    ['a 404 from another service', Errors.notFound('user')],
    ['a 422', Errors.unprocessable('OWN_MESSAGE', 'no')],
    ['a NOT NULL violation (23502)', pg('23502')],
    ['a unique violation (23505)', pg('23505')],
    ['invalid text (22P02)', pg('22P02')],
    ['an index row too big (54000)', pg('54000')],
    ['a TypeError from a bad shape', new TypeError("Cannot read properties of undefined (reading 'length')")],
    ['a ZodError', z.string().safeParse(1).error!],
  ])('%s is permanent', (_what, e) => expect(classifyFailure(e)).toBe('permanent'));

  it.each([
    ['a stream version conflict', Errors.conflict('CONCURRENCY_CONFLICT', 'moved')],
    ['a service that did not answer', Errors.unavailable('push did not answer')],
    ['a 429', new AppError('RATE_LIMITED', 'later')],
    ['a serialization failure (40001)', pg('40001')],
    ['a deadlock (40P01)', pg('40P01')],
    ['a lock timeout (55P03)', pg('55P03')],
    ['a statement timeout (57014)', pg('57014')],
    ['an admin shutdown (57P01)', pg('57P01')],
    ['a missing table during a deploy (42P01)', pg('42P01')],
    ['a reset connection', system('ECONNRESET')],
    ['a refused connection', system('ECONNREFUSED')],
    ['a fetch network failure', new TypeError('fetch failed', { cause: system('ECONNREFUSED') })],
    ['a NATS timeout', Object.assign(new Error('timeout'), { name: 'TimeoutError' })],
    ['an explicit retry-later', new RetryLater('view not there yet')],
    ['a lost database connection', new Error('Connection terminated unexpectedly')],
  ])('%s is transient', (_what, e) => expect(classifyFailure(e)).toBe('transient'));

  it('leaves a plain Error to the data check', () => {
    expect(classifyFailure(new Error('fanout_view has not reached IM_MESSAGING #4 yet'))).toBe('unknown');
    expect(classifyFailure('a string')).toBe('unknown');
  });
});
