import { ERROR_CODES, ErrorCode } from '@im/contracts';
import { OPERATIONS } from './operations';

/**
 * Codes the gateway answers on any path, not per operation: no such route or method, a
 * framework refusal before routing, an unexpected failure.
 */
const ANY_PATH: ErrorCode[] = ['BAD_REQUEST', 'METHOD_NOT_ALLOWED', 'INTERNAL'];

/** That every code raised is registered is tools/error-codes.unit.spec.ts; this holds the document to the registry. */
describe('error codes in the OpenAPI document', () => {
  it('lists every registered code on at least one operation', () => {
    const listed = new Set<ErrorCode>(OPERATIONS.flatMap((op) => op.errors));
    // Added by the document to every authenticated call or every write.
    for (const code of ['RATE_LIMITED', 'IDEMPOTENCY_KEY_IN_FLIGHT', 'IDEMPOTENCY_KEY_REUSED', ...ANY_PATH] as const) listed.add(code);
    expect(Object.keys(ERROR_CODES).filter((c) => !listed.has(c as ErrorCode))).toEqual([]);
  });
});
