import * as fs from 'node:fs';
import * as path from 'node:path';

/** Files the UI may serve, by extension, with their content types (anything else is a 404). */
export const WEB_CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The folder of the browser UI (`web/` at the project root). Found by walking up from this file, so the
 * same code works from `src/web` (ts-node, jest) and from `dist/src/web` (npm run build, npm start).
 */
export function findWebRoot(start = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'web', 'index.html'))) return path.join(dir, 'web');
    if (path.dirname(dir) === dir) throw new Error(`The web UI folder (web/index.html) was not found above ${start}`);
  }
}

/**
 * Maps a request path below /ui/ to a file inside `root`, or null when it is not a servable file:
 * no traversal, no hidden files, only known extensions.
 */
export function resolveWebFile(root: string, relative: string): string | null {
  const segments = relative.split('/').filter((s) => s.length > 0);
  if (!segments.length || segments.some((s) => s === '..' || s.startsWith('.') || s.includes('\\') || s.includes('\0'))) return null;
  const file = path.resolve(root, ...segments);
  if (!file.startsWith(root + path.sep)) return null;
  if (!(path.extname(file).toLowerCase() in WEB_CONTENT_TYPES)) return null;
  return file;
}
