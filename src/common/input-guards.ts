import { BadRequestException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { displayName, findBadQueryText, parseJsonBody, queryProblemMessage, RequestTextError, textProblem, textProblemMessage } from './request-text';

/**
 * The edge checks on request text, for every route at once: JSON bodies are decoded as strict UTF-8,
 * depth-checked and parsed here (replacing Fastify's parser); query strings and path parameters are
 * checked before the body is read. Multipart text fields are checked by the multipart parser.
 */
export function registerInputGuards(fastify: FastifyInstance, options: { maxJsonDepth: number; maxJsonItems: number }): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer, options.maxJsonDepth, options.maxJsonItems));
    } catch (error) {
      done(error instanceof RequestTextError ? new BadRequestException(error.message) : (error as Error), undefined);
    }
  });
  fastify.addHook('onRequest', (request, _reply, done) => {
    const queryAt = request.url.indexOf('?');
    const badQuery = queryAt >= 0 ? findBadQueryText(request.url.slice(queryAt + 1)) : null;
    if (badQuery) return done(new BadRequestException(queryProblemMessage(badQuery)));
    for (const [name, value] of Object.entries((request.params ?? {}) as Record<string, unknown>)) {
      const problem = typeof value === 'string' ? textProblem(value) : null;
      if (problem) return done(new BadRequestException(textProblemMessage(`path parameter "${displayName(name)}"`, problem)));
    }
    done();
  });
}
