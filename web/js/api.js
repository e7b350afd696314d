// Talks to /api/v1 with the API key from sessionStorage (Authorization: Bearer <key>).
const KEY_STORAGE = 'lesion-retrieval.apiKey';
export const API = '/api/v1';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export const getKey = () => sessionStorage.getItem(KEY_STORAGE);
export const setKey = (key) => sessionStorage.setItem(KEY_STORAGE, key);
export const clearKey = () => sessionStorage.removeItem(KEY_STORAGE);

/** Called on 401/403 (set by the app: shows the key screen or a banner). */
let onAuthError = () => {};
export function setAuthErrorHandler(handler) {
  onAuthError = handler;
}

function describe(status, body) {
  const detail = body && typeof body === 'object' ? (body.message ?? body.error) : body;
  const text = Array.isArray(detail) ? detail.join('; ') : detail;
  if (status === 401) return 'The API key was not accepted (401). Check it, or ask an administrator for a new one.';
  if (status === 403) return `Your key is not allowed to do this (403)${text ? `: ${text}` : ''}.`;
  if (status === 404) return text || 'Not found (404).';
  if (status === 413) return 'The file is too large for the server (413).';
  return text ? String(text) : `The server answered ${status}.`;
}

/** fetch() with the key; throws ApiError for non-2xx answers. `opts.json` sends a JSON body. */
export async function request(path, opts = {}) {
  const headers = new Headers(opts.headers || {});
  const key = opts.key ?? getKey();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  let body = opts.body;
  if (opts.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(opts.json);
  }
  let res;
  try {
    res = await fetch(path.startsWith('/') ? path : `${API}/${path}`, { method: opts.method || (body ? 'POST' : 'GET'), headers, body, signal: opts.signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'The service cannot be reached. Is it running?');
  }
  if (!res.ok) {
    let payload = null;
    try {
      payload = (res.headers.get('content-type') || '').includes('json') ? await res.json() : await res.text();
    } catch {
      /* no body */
    }
    const error = new ApiError(res.status, describe(res.status, payload), payload);
    if ((res.status === 401 || res.status === 403) && !opts.quietAuth) onAuthError(error);
    throw error;
  }
  return res;
}

export const getJson = async (path, opts) => (await request(path, opts)).json();
export const postJson = async (path, json, opts = {}) => (await request(path, { ...opts, method: 'POST', json })).json();
export const postForm = async (path, form, opts = {}) => (await request(path, { ...opts, method: 'POST', body: form })).json();
export const getBlob = async (path, opts) => (await request(path, opts)).blob();

/** A query string from an object, leaving out empty values; arrays become comma lists. */
export function qs(params) {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    out.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = out.toString();
  return s ? `?${s}` : '';
}
