import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from './port';
import { EVENT_STORE } from './event-store.token';

/** The app owns the store it opened: closing the app closes it. */
@Injectable()
export class StoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
