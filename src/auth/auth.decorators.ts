import { applyDecorators, Controller, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ALL_DATASETS, DatasetScope, scopeOf } from '../common/dataset-scope';
import { Role } from './auth.entities';

export const PUBLIC_ROUTE = 'auth:public';
export const REQUIRED_ROLE = 'auth:role';

/** No key needed (health probes, API docs, the web page shell). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** Minimum role; routes without it need any valid key (reader). */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

/**
 * A controller whose routes take an API key: its OpenAPI tag, the bearer scheme, its path, and the least role its
 * routes need (none: any valid key).
 */
export const KeyedController = (tag: string, path?: string, role?: Role) =>
  applyDecorators(ApiTags(tag), ApiBearerAuth(), ...(role ? [RequireRole(role)] : []), path === undefined ? Controller() : Controller(path));

export interface AuthenticatedKey {
  id: string;
  name: string;
  role: Role;
  /** The datasets the key may see; null: every dataset. */
  datasets: readonly string[] | null;
}

/** What the guard leaves on the request for the audit middleware. */
export interface AuthenticatedRequest {
  apiKey?: AuthenticatedKey;
}

/** The API key that authenticated this request (the guard has run: routes are never anonymous here). */
export const CurrentKey = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedKey | undefined => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().apiKey;
});

/**
 * The datasets this request may see, from its key (the guard has run), as the domain object services
 * take. Public routes and keyless contexts get every dataset: they return no lesions.
 */
export const KeyScope = createParamDecorator((_: unknown, context: ExecutionContext): DatasetScope => {
  const key = context.switchToHttp().getRequest<AuthenticatedRequest>().apiKey;
  return key ? scopeOf(key.datasets) : ALL_DATASETS;
});
