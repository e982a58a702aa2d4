import { Migration } from 'kysely';
import { messagingView } from './20261122000100_messaging_view';
import { readState } from './20261122000200_read_state';
import { changeNotifications } from './20261202000100_change_notifications';

export const migrations: Record<string, Migration> = {
  '20261122000100_messaging_view': messagingView,
  '20261122000200_read_state': readState,
  '20261202000100_change_notifications': changeNotifications,
};
