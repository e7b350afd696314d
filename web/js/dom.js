// Small DOM helpers: element builder, debounce, formatting, authorised images.
import { getBlob } from './api.js';

/** h('div.card', {onclick, dataset:{id:1}}, child, 'text', [more]) */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style')
      el.style.cssText = v; // CSSOM: allowed by the page's CSP, unlike style attributes
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function debounce(fn, ms) {
  let timer;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

export const fmt = {
  mm: (v) => (v === null || v === undefined ? '–' : `${Number(v).toFixed(1)} mm`),
  num: (v, d = 2) => (v === null || v === undefined ? '–' : Number(v).toFixed(d)),
  pct: (v) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)}%`),
  int: (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('en')),
};

export const SPLITS = ['train', 'val', 'test'];

/**
 * Object URLs made for the current page; revoked when the page changes so blobs do not pile up.
 * Images are fetched with the API key (an <img src> cannot send the Authorization header).
 */
const pageUrls = new Set();
export function revokePageUrls() {
  for (const url of pageUrls) URL.revokeObjectURL(url);
  pageUrls.clear();
}

export function objectUrl(blob) {
  const url = URL.createObjectURL(blob);
  pageUrls.add(url);
  return url;
}

// At most a few patch requests at once: the grid asks for many and the server renders each.
const MAX_PARALLEL = 6;
let running = 0;
const waiting = [];
async function limited(task) {
  if (running >= MAX_PARALLEL) await new Promise((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** An <img> whose picture is fetched with the key; marks itself loaded / failed for styles and tests. */
export function authImage(path, alt, cls = 'thumb') {
  const img = h(`img.${cls}`, { alt, decoding: 'async' });
  img.dataset.state = 'loading';
  limited(() => getBlob(path, { quietAuth: true }))
    .then((blob) => {
      img.addEventListener('load', () => (img.dataset.state = 'loaded'), { once: true });
      img.src = objectUrl(blob);
    })
    .catch((err) => {
      img.dataset.state = 'failed';
      img.title = err.message;
    });
  return img;
}

export function field(label, input, hint) {
  return h('label.field', h('span.label', label), input, hint ? h('span.hint', hint) : null);
}

export function toast(message, kind = 'info') {
  const el = h(`div.toast.${kind}`, { role: 'status' }, message);
  document.body.append(el);
  setTimeout(() => el.remove(), 4000);
}

export function errorBox(err) {
  return h('div.error', { role: 'alert' }, err?.message || String(err));
}
