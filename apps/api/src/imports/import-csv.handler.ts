import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandMetadata } from '@forge/domain';
import { importDataset, importRatings, type ImageSource } from '@forge/ingest';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';

export class ImportCsvCommand {
  constructor(
    readonly kind: 'dataset' | 'ratings',
    readonly csvText: string,
    readonly csvName: string,
    readonly images: ImageSource,
    readonly metadata: CommandMetadata,
    readonly name?: string,
  ) {}
}

/** All-or-nothing imports: every row and image is checked before anything is appended. */
@CommandHandler(ImportCsvCommand)
export class ImportCsvHandler implements ICommandHandler<ImportCsvCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  execute(c: ImportCsvCommand) {
    if (c.kind === 'ratings') {
      return importRatings({ store: this.store, dataDir: this.config.dataDir, csvText: c.csvText, csvName: c.csvName, images: c.images, metadata: c.metadata });
    }
    return importDataset({ store: this.store, dataDir: this.config.dataDir, csvText: c.csvText, csvName: c.csvName, images: c.images, metadata: c.metadata, name: c.name });
  }
}
