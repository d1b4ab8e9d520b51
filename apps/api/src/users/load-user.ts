import { foldState, streams, userDecider, type UserEvent, type UserState } from '@forge/domain';
import type { EventStore } from '../store/port';
import { USERNAME } from './users.controller';

/**
 * A user's current state, read from their own stream: authentication must never depend on how
 * far the read model has caught up (a disable takes effect on the next request).
 */
export async function loadUser(store: EventStore, username: string): Promise<UserState> {
  if (!USERNAME.test(username)) return userDecider.initialState();
  const events = await store.readStream(streams.user(username));
  return foldState(userDecider, events as unknown as UserEvent[]);
}
