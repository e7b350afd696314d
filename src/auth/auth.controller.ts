import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRole } from './auth.decorators';
import { AuditQueryDto, CreateApiKeyDto } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('admin')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('admin')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('keys')
  @ApiOperation({ summary: 'Create an API key; the key is returned once and stored only hashed' })
  createKey(@Body() body: CreateApiKeyDto) {
    return this.auth.createKey(body.name, body.role, body.datasets ?? null);
  }

  @Get('keys')
  @ApiOperation({ summary: 'List API keys (without secrets)' })
  listKeys() {
    return this.auth.listKeys();
  }

  @Delete('keys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key' })
  revokeKey(@Param('id', ParseUUIDPipe) id: string) {
    return this.auth.revokeKey(id);
  }

  @Get('audit')
  @ApiOperation({ summary: 'Audit log, newest first (route patterns and hashed parameters only)' })
  audit(@Query() query: AuditQueryDto) {
    return this.auth.auditPage(query.offset, query.limit, query.apiKeyId);
  }
}
