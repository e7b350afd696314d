import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysRepository, AuditRepository } from './api-keys.repository';
import { AuthController } from './auth.controller';
import { ApiKeyEntity, AuditLogEntity } from './auth.entities';
import { AuthService } from './auth.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity, AuditLogEntity])],
  controllers: [AuthController],
  providers: [ApiKeysRepository, AuditRepository, AuthService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [AuthService],
})
export class AuthModule {}
