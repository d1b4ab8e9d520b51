import type { SqlEventStore } from '../store/port';
import type { UserChangeNotices } from './user-directory';

/** The database channel on which API processes tell each other that a user changed. */
export const USER_CHANGES_CHANNEL = 'forge_user_changes';

/** Change notices over the event store's database (NOTIFY after the append has committed, LISTEN in every process). */
export function userChangeNotices(store: SqlEventStore): UserChangeNotices {
  return {
    publish: () => store.notify(USER_CHANGES_CHANNEL),
    subscribe: (onChange) => store.listen(USER_CHANGES_CHANNEL, onChange),
  };
}
