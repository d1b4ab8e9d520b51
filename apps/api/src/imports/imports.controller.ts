import * as fs from 'node:fs';
import * as path from 'node:path';
import { Body, Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { folderSource, uploadedSource } from '@forge/ingest';
import type { Request, Response } from 'express';
import { z } from 'zod/v4';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { Roles, type Principal } from '../auth/roles';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { InvalidInputError } from '../errors/api-errors';
import { commandMetadata } from '../store/command-metadata';
import { openApiSchema, parseInput, reasonField } from '../validation/parse-input';
import { ImportCsvCommand } from './import-csv.handler';
import { readMultipart } from './multipart';
import { csvInsideImportRoot } from './server-path';

const uploadFields = z.strictObject({ reason: reasonField, name: z.string().min(1).max(100).optional() });
const serverPathBody = z.strictObject({ path: z.string().min(1).max(1000), reason: reasonField, name: z.string().min(1).max(100).optional() });

const CSV_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$/;

const uploadSchema = {
  type: 'object',
  required: ['csv', 'reason'],
  properties: { csv: { type: 'string', format: 'binary' }, images: { type: 'array', items: { type: 'string', format: 'binary' } }, reason: { type: 'string' }, name: { type: 'string' } },
};

@ApiTags('imports')
@ApiBearerAuth()
@Controller('imports')
export class ImportsController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post('datasets/upload')
  @Roles('operator', 'admin')
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Import a dataset: a CSV (path,text,modality[,labels…]) plus its image files, all or nothing' })
  @ApiBody({ schema: uploadSchema })
  uploadDataset(@Req() req: Request, @Res({ passthrough: true }) res: Response, @CurrentPrincipal() who: Principal) {
    return this.upload('dataset', req, res, who);
  }

  @Post('datasets/server-path')
  @Roles('operator', 'admin')
  @ApiOperation({ summary: 'Import a dataset CSV already on the server, below FORGE_IMPORT_ROOT (images resolved next to it, confined too)' })
  @ApiBody({ schema: openApiSchema(serverPathBody) })
  serverPathDataset(@Body() body: unknown, @CurrentPrincipal() who: Principal) {
    return this.serverPath('dataset', body, who);
  }

  @Post('ratings/upload')
  @Roles('operator', 'admin')
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: "Import MINIM's ratings CSV (image_path,rating,modality,expert_level,prompt) with the rated images, all or nothing" })
  @ApiBody({ schema: uploadSchema })
  uploadRatings(@Req() req: Request, @Res({ passthrough: true }) res: Response, @CurrentPrincipal() who: Principal) {
    return this.upload('ratings', req, res, who);
  }

  @Post('ratings/server-path')
  @Roles('operator', 'admin')
  @ApiOperation({ summary: "Import MINIM's ratings CSV from below FORGE_IMPORT_ROOT (images resolved next to it, confined too)" })
  @ApiBody({ schema: openApiSchema(serverPathBody) })
  serverPathRatings(@Body() body: unknown, @CurrentPrincipal() who: Principal) {
    return this.serverPath('ratings', body, who);
  }

  private async upload(kind: 'dataset' | 'ratings', req: Request, res: Response, who: Principal) {
    if (!req.is('multipart/form-data')) throw new InvalidInputError('send multipart/form-data with a `csv` file and `images` files', [{ path: 'csv', message: 'required' }]);
    const upload = await readMultipart(req, res, { maxBytes: this.config.maxUploadBytes, maxFiles: this.config.maxUploadFiles });
    const fields = parseInput(uploadFields, upload.fields);
    if (!upload.csv) throw new InvalidInputError('the `csv` file is missing', [{ path: 'csv', message: 'required' }]);
    const csvName = path.basename(upload.csv.name);
    if (!CSV_NAME.test(csvName)) throw new InvalidInputError(`CSV file name '${csvName.slice(0, 100)}' is not a simple name`, [{ path: 'csv', message: 'file name must be simple' }]);
    const metadata = commandMetadata(who, fields.reason);
    return this.commands.execute(new ImportCsvCommand(kind, upload.csv.bytes.toString('utf8'), csvName, uploadedSource(upload.images), metadata, fields.name));
  }

  private serverPath(kind: 'dataset' | 'ratings', body: unknown, who: Principal) {
    const input = parseInput(serverPathBody, body);
    const { real, display } = csvInsideImportRoot(this.config.importRoot, input.path);
    const stat = fs.statSync(real);
    if (stat.size > this.config.maxUploadBytes) throw Object.assign(new Error(`${display} is larger than ${this.config.maxUploadBytes} bytes`), { code: 'PAYLOAD_TOO_LARGE' });
    const text = fs.readFileSync(real, 'utf8');
    const images = folderSource(this.config.importRoot, path.dirname(real));
    return this.commands.execute(new ImportCsvCommand(kind, text, display, images, commandMetadata(who, input.reason), input.name));
  }
}
