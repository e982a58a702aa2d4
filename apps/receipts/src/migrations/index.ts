import { Migration } from 'kysely';
import { receiptMessages } from './20261122000100_receipt_messages';

export const migrations: Record<string, Migration> = {
  '20261122000100_receipt_messages': receiptMessages,
};
