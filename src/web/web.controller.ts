import * as fs from 'node:fs';
import * as path from 'node:path';
import { Controller, Get, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeController, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatedKey, CurrentKey, KeyedController, Public } from '../auth/auth.decorators';
import { coarseTypesModule } from '../deeplesion/coarse-types';
import { findWebRoot, resolveWebFile, WEB_CONTENT_TYPES } from './web-assets';

/**
 * The content security policy of the UI: everything from this origin, images also from blob: URLs
 * (patches are fetched with the API key and shown as object URLs); nothing from elsewhere.
 */
const CSP =
  "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The browser UI: the page shell at / and its files under /ui/ (no key: the API calls it makes need one). */
@Public()
@ApiExcludeController()
@Controller()
export class WebController {
  private readonly root = findWebRoot();

  @Get()
  index(@Req() req: FastifyRequest, @Res() res: FastifyReply): void {
    this.send(req, res, path.join(this.root, 'index.html'));
  }

  /** The coarse-type table as a module for the page's filters, from src/deeplesion: the page keeps no copy. */
  @Get('ui/js/coarse-types.js')
  coarseTypes(@Res() res: FastifyReply): void {
    void res.header('Content-Type', WEB_CONTENT_TYPES['.js']);
    void res.header('Cache-Control', 'no-cache');
    void res.header('X-Content-Type-Options', 'nosniff');
    void res.status(200).send(coarseTypesModule());
  }

  // Fastify's wildcard (the Express form was ui/*path); the prefix exclusion in app.setup matches it.
  @Get('ui/*')
  asset(@Req() req: FastifyRequest, @Res() res: FastifyReply): void {
    // Fastify names the wildcard "*": the path below /ui/, still URL-decoded by the router.
    const relative = (req.params as Record<string, string>)['*'] ?? '';
    const file = resolveWebFile(this.root, relative);
    if (!file) throw new NotFoundException('No such file');
    this.send(req, res, file);
  }

  private send(req: FastifyRequest, res: FastifyReply, file: string): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      throw new NotFoundException('No such file');
    }
    if (!stat.isFile()) throw new NotFoundException('No such file');
    const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    void res.header('Content-Type', WEB_CONTENT_TYPES[path.extname(file).toLowerCase()]);
    // Revalidate every time (cheap 304s): a new deployment is picked up at once.
    void res.header('Cache-Control', 'no-cache');
    void res.header('ETag', etag);
    void res.header('X-Content-Type-Options', 'nosniff');
    if (file.endsWith('.html')) {
      void res.header('Content-Security-Policy', CSP);
      void res.header('Referrer-Policy', 'no-referrer');
    }
    if (req.headers['if-none-match'] === etag) {
      void res.status(304).send();
      return;
    }
    void res.status(200).send(fs.createReadStream(file));
  }
}

/** Who the UI is signed in as: checks a key and tells the UI which buttons to show (curator tools). */
@KeyedController('auth', 'me')
export class WhoAmIController {
  @Get()
  @ApiOperation({ summary: 'The name, role and datasets (null: every dataset) of the API key sent (any valid key)' })
  me(@CurrentKey() key?: AuthenticatedKey) {
    return { name: key?.name ?? null, role: key?.role ?? null, datasets: key?.datasets ?? null };
  }
}
