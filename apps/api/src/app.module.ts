import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { JwtModule } from '@nestjs/jwt';
import type { SqlEventStore } from './store/port';
import type { Logger } from 'pino';
import { AccessGuard } from './auth/access.guard';
import { jwtSecretKey } from './auth/jwt-key';
import { AuthController } from './auth/auth.controller';
import { TokensService } from './auth/tokens.service';
import { API_CONFIG, type ApiConfig } from './config/api-config';
import { HealthController } from './health/health.controller';
import { LOGGER } from './logging';
import { ApiMetrics } from './metrics/metrics';
import { MetricsController } from './metrics/metrics.controller';
import { ReadModel } from './read-model/read-model.service';
import { EVENT_STORE } from './store/event-store.token';
import { OwnWrites } from './store/own-writes';
import { StoreLifecycle } from './store/store-lifecycle';
import { FirstAdmin } from './users/first-admin';
import { loadUser } from './users/load-user';
import { userChangeNotices } from './users/user-change-notices';
import { UserDirectory } from './users/user-directory';
import { UserCommandHandler } from './users/user-command.handler';
import { UsersController } from './users/users.controller';
import { AuditController } from './audit/audit.controller';
import { ImagesController } from './images/images.controller';
import { ImportCsvHandler } from './imports/import-csv.handler';
import { ImportsController } from './imports/imports.controller';
import { LabelTaskCommandHandler } from './tasks/label-task-command.handler';
import { RatingsController } from './tasks/ratings.controller';
import { TasksController } from './tasks/tasks.controller';
import { ModelsController } from './models/models.controller';
import { SignaturesController } from './signatures/signatures.controller';
import { QueueController } from './queue/queue.controller';
import { JOB_QUEUES_BOARD, JobQueuesBoardLifecycle, openJobQueuesBoard } from './job-queues/job-queues-board';
import { JobQueuesController } from './job-queues/job-queues.controller';

@Module({})
export class AppModule {
  static create(config: ApiConfig, store: SqlEventStore, log: Logger, metrics: ApiMetrics): DynamicModule {
    const ownWrites = new OwnWrites();
    const eventStore = ownWrites.wrap(store);
    const users = new UserDirectory((username) => loadUser(eventStore, username), userChangeNotices(store), config.userCacheSeconds * 1000);
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot(), JwtModule.register({ secret: jwtSecretKey(config.jwtSecret), signOptions: { algorithm: 'HS256' } })],
      controllers: [HealthController, AuthController, UsersController, MetricsController, ImagesController, TasksController, RatingsController, AuditController, ImportsController, SignaturesController, ModelsController, QueueController, JobQueuesController],
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: OwnWrites, useValue: ownWrites },
        { provide: EVENT_STORE, useValue: eventStore },
        { provide: UserDirectory, useValue: users },
        { provide: LOGGER, useValue: log },
        { provide: ApiMetrics, useValue: metrics },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: JOB_QUEUES_BOARD, useValue: openJobQueuesBoard(config, log) },
        JobQueuesBoardLifecycle,
        StoreLifecycle,
        ReadModel,
        TokensService,
        FirstAdmin,
        UserCommandHandler,
        LabelTaskCommandHandler,
        ImportCsvHandler,
      ],
    };
  }
}
