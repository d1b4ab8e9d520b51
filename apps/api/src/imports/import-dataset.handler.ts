import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandMetadata } from '@forge/domain';
import { importDataset, type ImageSource } from '@forge/ingest';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';

export class ImportDatasetCommand {
  constructor(
    readonly csvText: string,
    readonly csvName: string,
    readonly images: ImageSource,
    readonly metadata: CommandMetadata,
    readonly name?: string,
  ) {}
}

/** All-or-nothing import through @forge/ingest: every row and image is checked before the one append. */
@CommandHandler(ImportDatasetCommand)
export class ImportDatasetHandler implements ICommandHandler<ImportDatasetCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  execute(c: ImportDatasetCommand) {
    return importDataset({ store: this.store, dataDir: this.config.dataDir, csvText: c.csvText, csvName: c.csvName, images: c.images, metadata: c.metadata, name: c.name });
  }
}
