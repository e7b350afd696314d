import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { apiKeyFromHeaders, roleAllows } from './api-key.codec';
import { AuthenticatedRequest, PUBLIC_ROUTE, REQUIRED_ROLE } from './auth.decorators';
import { Role } from './auth.entities';
import { AuthService } from './auth.service';

/** What a request without a valid key is told (the guard, and the upload parser before it reads a body). */
export const KEY_REQUIRED_MESSAGE = 'A valid API key is required (header "Authorization: Bearer <key>" or "X-API-Key")';

/** Global guard: every route needs a valid key unless marked @Public(); @RequireRole raises the bar. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    const key = await this.auth.authenticate(apiKeyFromHeaders(request.headers));
    if (!key) {
      throw new UnauthorizedException(KEY_REQUIRED_MESSAGE);
    }
    request.apiKey = key;
    const required = this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? 'reader';
    if (!roleAllows(key.role, required)) {
      throw new ForbiddenException(`This needs the ${required} role; your key has ${key.role}`);
    }
    return true;
  }
}
