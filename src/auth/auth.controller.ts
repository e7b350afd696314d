import { Body, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { DatasetScope } from '../common/dataset-scope';
import { KeyScope, KeyedController } from './auth.decorators';
import { AuditQueryDto, CreateApiKeyDto } from './auth.dto';
import { AuthService } from './auth.service';

/** Key management. An admin key limited to datasets manages only keys limited to (some of) its datasets. */
@KeyedController('admin', 'admin', 'admin')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('keys')
  @ApiOperation({ summary: 'Create an API key, optionally limited to datasets; the key is returned once and stored only hashed' })
  createKey(@Body() body: CreateApiKeyDto, @KeyScope() scope: DatasetScope) {
    return this.auth.createScopedKey(body.name, body.role, body.datasets ?? null, scope);
  }

  @Get('keys')
  @ApiOperation({ summary: 'List API keys (without secrets), with the datasets each is limited to (null: every dataset)' })
  listKeys(@KeyScope() scope: DatasetScope) {
    return this.auth.listKeys(scope);
  }

  @Delete('keys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key' })
  revokeKey(@Param('id', ParseUUIDPipe) id: string, @KeyScope() scope: DatasetScope) {
    return this.auth.revokeKey(id, scope);
  }

  @Get('audit')
  @ApiOperation({
    summary: 'Audit log, newest first (route patterns and hashed parameters only); a key limited to datasets reads one of its keys’ rows (apiKeyId)',
  })
  audit(@Query() query: AuditQueryDto, @KeyScope() scope: DatasetScope) {
    return this.auth.auditPage(query.offset, query.limit, query.apiKeyId, scope);
  }
}
