import { Body, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { KeyScope, KeyedController } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';
import { ModelIdPipe } from './model-id.pipe';
import { RegisterModelDto } from './models.dto';
import { ModelsService } from './models.service';

@KeyedController('admin', 'admin/models', 'admin')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOperation({ summary: 'Encoder models: status (registered, embedding, ready, active, retired) and embedding progress' })
  list() {
    return this.models.list();
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Register the encoder in a folder under MODELS_DIR: the archive is embedded with it in the background and search switches to it ' +
      'when ready (unless activate is false); the active model answers until then; an admin key limited to datasets is refused (403)',
  })
  register(@Body() body: RegisterModelDto, @KeyScope() scope: DatasetScope) {
    return this.models.register(body.name, body.activate ?? true, scope);
  }

  @Post(':id/activate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Switch search to a ready model (409 otherwise); switching back to the previous model is instant' })
  activate(@Param('id', ModelIdPipe) id: string, @KeyScope() scope: DatasetScope) {
    return this.models.activate(id, scope);
  }
}
