import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { EventStore } from '../store/port';
import { Public } from '../auth/roles';
import { EVENT_STORE } from '../store/event-store.token';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and event store reachability (public)' })
  async health() {
    await this.store.readAll({ limit: 1 });
    return { status: 'ok' };
  }
}
