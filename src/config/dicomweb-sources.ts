/** A configured DICOMweb endpoint (a PACS or VNA): its root URL and, optionally, an Authorization header. */
export interface DicomWebSource {
  name: string;
  /** The DICOMweb root without a trailing slash, e.g. http://pacs:8042/dicom-web */
  baseUrl: string;
  /** Sent as the Authorization header ("Bearer …", "Basic …"); never logged or answered. */
  authorization: string | null;
}

/** What a source may be called (config keys, and the `source` of requests). */
export const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_SOURCES = 32;

/**
 * DICOMWEB_SOURCES: a JSON object of name → base URL, or name → {"url", "authorization"}. Problems are
 * pushed to `problems` (naming the source, never the header's value); valid sources are returned.
 */
export function parseDicomWebSources(raw: string | undefined, problems: string[]): Map<string, DicomWebSource> {
  const sources = new Map<string, DicomWebSource>();
  if (raw === undefined || raw.trim() === '') return sources;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push('DICOMWEB_SOURCES must be JSON: {"name": "http://host/dicom-web"} or {"name": {"url": "…", "authorization": "Bearer …"}}');
    return sources;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push('DICOMWEB_SOURCES must be a JSON object of source name → URL or {url, authorization}');
    return sources;
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length > MAX_SOURCES) problems.push(`DICOMWEB_SOURCES names more than ${MAX_SOURCES} sources`);
  for (const [name, value] of entries.slice(0, MAX_SOURCES)) {
    if (!SOURCE_NAME.test(name)) {
      problems.push(`DICOMWEB_SOURCES: source name "${name.slice(0, 64)}" must be 1-64 letters, digits, "_", "." or "-"`);
      continue;
    }
    const spec = typeof value === 'string' ? { url: value } : value;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      problems.push(`DICOMWEB_SOURCES.${name} must be a URL or {"url", "authorization"}`);
      continue;
    }
    const { url, authorization } = spec as { url?: unknown; authorization?: unknown };
    let parsedUrl: URL | null = null;
    try {
      parsedUrl = typeof url === 'string' && url.length <= 2048 ? new URL(url) : null;
    } catch {
      parsedUrl = null;
    }
    if (!parsedUrl || !['http:', 'https:'].includes(parsedUrl.protocol) || parsedUrl.username || parsedUrl.password || parsedUrl.search || parsedUrl.hash) {
      problems.push(`DICOMWEB_SOURCES.${name}.url must be an http(s) URL without credentials, query or fragment (put credentials in "authorization")`);
      continue;
    }
    if (
      authorization !== undefined &&
      authorization !== null &&
      (typeof authorization !== 'string' || authorization.length > 8192 || !/^[\x20-\x7e]+$/.test(authorization))
    ) {
      problems.push(`DICOMWEB_SOURCES.${name}.authorization must be a printable ASCII string of at most 8192 characters`);
      continue;
    }
    sources.set(name, { name, baseUrl: parsedUrl.href.replace(/\/+$/, ''), authorization: typeof authorization === 'string' ? authorization : null });
  }
  return sources;
}
