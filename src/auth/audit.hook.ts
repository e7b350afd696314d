import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthenticatedRequest } from './auth.decorators';
import { AuthService } from './auth.service';

/**
 * Records every API request (under `prefix`) once its response is sent, including those refused
 * with 401/403. Query and path parameters are kept only as a hash; the route is its pattern
 * (`/api/v1/lesions/:id`), or "(unmatched)", so no raw path is stored.
 */
export function registerAuditHook(fastify: FastifyInstance, auth: AuthService, prefix: string): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.url.startsWith(prefix)) {
      const key = (request as FastifyRequest & AuthenticatedRequest).apiKey;
      auth.recordRequest({
        apiKeyId: key?.id ?? null,
        method: request.method,
        route: request.routeOptions.url ?? '(unmatched)',
        status: reply.statusCode,
        queryHash: parameterHash(request),
        durationMs: Math.round(reply.elapsedTime),
        at: new Date(),
      });
    }
    done();
  });
}

function parameterHash(request: FastifyRequest): string | null {
  const queryAt = request.url.indexOf('?');
  const query = queryAt >= 0 ? request.url.slice(queryAt + 1) : '';
  const params = request.params as Record<string, string> | undefined;
  const paramsText = params && Object.keys(params).length ? JSON.stringify(params) : '';
  return query || paramsText ? createHash('sha256').update(`${paramsText}?${query}`).digest('hex') : null;
}
