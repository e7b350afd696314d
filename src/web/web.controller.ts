import * as fs from 'node:fs';
import * as path from 'node:path';
import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeController, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { AuthenticatedKey, CurrentKey, Public } from '../auth/auth.decorators';
import { findWebRoot, resolveWebFile, WEB_CONTENT_TYPES } from './web-assets';

/**
 * The content security policy of the UI: everything from this origin, images also from blob: URLs
 * (patches are fetched with the API key and shown as object URLs); nothing from elsewhere.
 */
const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The browser UI: the page shell at / and its files under /ui/ (no key: the API calls it makes need one). */
@Public()
@ApiExcludeController()
@Controller()
export class WebController {
  private readonly root = findWebRoot();

  @Get()
  index(@Res() res: Response): void {
    this.send(res, path.join(this.root, 'index.html'));
  }

  @Get('ui/*path')
  asset(@Param('path') requested: string | string[], @Res() res: Response): void {
    const relative = Array.isArray(requested) ? requested.join('/') : requested;
    const file = resolveWebFile(this.root, relative);
    if (!file) throw new NotFoundException('No such file');
    this.send(res, file);
  }

  private send(res: Response, file: string): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      throw new NotFoundException('No such file');
    }
    if (!stat.isFile()) throw new NotFoundException('No such file');
    const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    res.setHeader('Content-Type', WEB_CONTENT_TYPES[path.extname(file).toLowerCase()]);
    // Revalidate every time (cheap 304s): a new deployment is picked up at once.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (file.endsWith('.html')) {
      res.setHeader('Content-Security-Policy', CSP);
      res.setHeader('Referrer-Policy', 'no-referrer');
    }
    if (res.req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.status(200);
    fs.createReadStream(file).pipe(res);
  }
}

/** Who the UI is signed in as: checks a key and tells the UI which buttons to show (curator tools). */
@ApiTags('auth')
@ApiBearerAuth()
@Controller('me')
export class WhoAmIController {
  @Get()
  @ApiOperation({ summary: 'The name and role of the API key sent (any valid key)' })
  me(@CurrentKey() key?: AuthenticatedKey) {
    return { name: key?.name ?? null, role: key?.role ?? null };
  }
}
