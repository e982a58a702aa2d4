import { AppError, Errors } from '@im/contracts';
import { pgCode } from '@im/db';

/**
 * Postgres errors that input causes, by SQLSTATE. They reach the RPC edge when a value passed
 * validation but not the database (a character it cannot hold, a value past a column or index
 * limit): the caller's request is at fault, so they answer 4xx, never 500.
 */
const TOO_LARGE: Record<string, string> = {
  '22001': 'a value is too long to store',
  '54000': 'a value is too large to store',
};

/** Class 22 is "data exception": the data itself, never the server's state. */
const DATA_EXCEPTION_CLASS = '22';

const DATA_EXCEPTIONS: Record<string, string> = {
  '22P05': 'a string holds a character that cannot be stored',
  '22021': 'a string holds a character that cannot be stored',
  '22003': 'a number is out of range',
  '22P02': 'a value has the wrong form',
};

/** The 4xx for an input-caused database error, or undefined for anything else. */
export function inputErrorOf(e: unknown): AppError | undefined {
  const code = pgCode(e);
  if (!code || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  if (TOO_LARGE[code]) return Errors.tooLargeToStore(TOO_LARGE[code]);
  if (code.startsWith(DATA_EXCEPTION_CLASS)) return Errors.unstorable(DATA_EXCEPTIONS[code] ?? 'a value cannot be stored');
  return undefined;
}
