import { Controller, Get, Header, Inject, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { readStoredImage } from '@forge/imaging';
import { z } from 'zod/v4';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { Roles, type Principal } from '../auth/roles';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { ForbiddenError, NotFoundError } from '../errors/api-errors';
import { ReadModel } from '../read-model/read-model.service';
import { parseInput } from '../validation/parse-input';
import type { GeneratorImages, ImageView } from './images.projection';

const listQuery = z.strictObject({
  datasetId: z.string().max(100).optional(),
  origin: z.enum(['real', 'synthetic']).optional(),
  /** Only the images this generator version made (the version as ImageGenerated names it). */
  generatorVersion: z.string().trim().min(1).max(200).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

@ApiTags('images')
@ApiBearerAuth()
@Controller('images')
export class ImagesController {
  constructor(
    private readonly readModel: ReadModel,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @Roles('operator', 'auditor', 'admin')
  @ApiOperation({ summary: 'List registered images (paged, registration order), optionally by dataset, origin or generator version' })
  @ApiQuery({ name: 'datasetId', required: false })
  @ApiQuery({ name: 'origin', required: false, enum: ['real', 'synthetic'] })
  @ApiQuery({ name: 'generatorVersion', required: false })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 500, default 100' })
  async list(@Query() query: unknown) {
    const q = parseInput(listQuery, query, 'query');
    await this.readModel.catchUp();
    const { byId, order } = this.readModel.images;
    const wanted = (image: ImageView) =>
      (q.datasetId === undefined || image.datasetId === q.datasetId) &&
      (q.origin === undefined || image.origin === q.origin) &&
      (q.generatorVersion === undefined || image.generatorVersion === q.generatorVersion);
    const ids = q.datasetId === undefined && q.origin === undefined && q.generatorVersion === undefined ? order : order.filter((id) => wanted(byId.get(id)!));
    return { total: ids.length, items: ids.slice(q.offset, q.offset + q.limit).map((id) => byId.get(id)) };
  }

  @Get('generators')
  @Roles('operator', 'auditor', 'admin')
  @ApiOperation({ summary: 'Generator versions that made images: how many, first and last registration' })
  async generators(): Promise<GeneratorImages[]> {
    await this.readModel.catchUp();
    return this.readModel.images.generators();
  }

  @Get(':imageId/file')
  @Roles('expert', 'operator', 'auditor', 'admin')
  @Header('Cache-Control', 'private, max-age=3600')
  @ApiProduces('image/png')
  @ApiOperation({ summary: 'The stored PNG; experts only for images in their own tasks' })
  async file(@Param('imageId') imageId: string, @CurrentPrincipal() who: Principal) {
    await this.readModel.catchUp();
    const image = this.readModel.images.byId.get(imageId);
    const privileged = who.roles.some((r) => r === 'operator' || r === 'auditor' || r === 'admin');
    if (!privileged && !(image && this.readModel.tasks.expertSeesImage(who.id, imageId))) {
      throw new ForbiddenError('experts see only the images of their own tasks');
    }
    if (!image) throw new NotFoundError(`no image '${imageId}'`);
    const bytes = await readStoredImage(this.config.dataDir, image.sha256).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new NotFoundError(`the file of image '${imageId}' is missing from the data folder`);
      throw err;
    });
    return new StreamableFile(bytes, { type: 'image/png', length: bytes.length });
  }
}
