import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Role } from './auth.entities';

export const PUBLIC_ROUTE = 'auth:public';
export const REQUIRED_ROLE = 'auth:role';

/** No key needed (health probes, API docs, the web page shell). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** Minimum role; routes without it need any valid key (reader). */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

export interface AuthenticatedKey {
  id: string;
  name: string;
  role: Role;
}

/** What the guard leaves on the request for the audit middleware. */
export interface AuthenticatedRequest {
  apiKey?: AuthenticatedKey;
}

/** The API key that authenticated this request (the guard has run: routes are never anonymous here). */
export const CurrentKey = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedKey | undefined => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().apiKey;
});
