// The app shell: API key screen, navigation, hash routes.
import { clearKey, getJson, getKey, setAuthErrorHandler, setKey } from './api.js';
import { clear, h, revokePageUrls } from './dom.js';
import { renderSearch } from './pages/search.js';
import { renderLesion } from './pages/lesion.js';
import { renderUpload } from './pages/upload.js';
import { renderCohorts } from './pages/cohorts.js';
import { me } from './session.js';

const main = document.getElementById('main');
const banner = document.getElementById('banner');
const nav = document.getElementById('nav');
const session = document.getElementById('session');

let pageCleanup = null;

function showBanner(message, kind = 'error') {
  banner.className = `banner ${kind}`;
  banner.textContent = message;
  banner.hidden = !message;
}

function keyScreen(message) {
  nav.hidden = true;
  session.hidden = true;
  const input = h('input', { id: 'api-key', type: 'password', placeholder: 'lrs_…', autocomplete: 'off', spellcheck: 'false', required: true });
  const error = h('p.error', { id: 'key-error', role: 'alert' }, message || '');
  error.hidden = !message;
  const form = h(
    'form.card.key-card',
    {
      onsubmit: async (e) => {
        e.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        error.hidden = true;
        try {
          Object.assign(me, await getJson('me', { key, quietAuth: true }));
          setKey(key);
          showBanner('');
          if (!location.hash || location.hash === '#/' || location.hash.startsWith('#/key')) location.hash = '#/search';
          route();
        } catch (err) {
          error.textContent =
            err.status === 401
              ? 'This API key was not accepted (401). Check for typos; keys start with "lrs_". An administrator can create one with: npm run keys -- create --name NAME --role reader'
              : err.status === 403
                ? 'This key is not allowed to use the interface (403).'
                : err.message;
          error.hidden = false;
        }
      },
    },
    h('h1', 'Sign in with your API key'),
    h('p.muted', 'The key is kept in this browser tab only (session storage) and sent with every request.'),
    h('label.field', h('span.label', 'API key'), input),
    error,
    h('button.btn.primary', { type: 'submit', id: 'key-submit' }, 'Continue'),
  );
  clear(main, h('section.center', form));
  input.focus();
}

const routes = [
  [/^#\/search(\?.*)?$/, (m) => renderSearch(main, new URLSearchParams(m[1]?.slice(1) || ''))],
  [/^#\/lesion\/(\d+)$/, (m) => renderLesion(main, Number(m[1]))],
  [/^#\/upload$/, () => renderUpload(main)],
  [/^#\/cohorts(?:\/([^/?]+))?$/, (m) => renderCohorts(main, m[1] ? decodeURIComponent(m[1]) : null)],
];

async function route() {
  if (typeof pageCleanup === 'function') pageCleanup();
  pageCleanup = null;
  revokePageUrls();
  if (!getKey()) return keyScreen();
  if (!me.role) {
    try {
      Object.assign(me, await getJson('me', { quietAuth: true }));
    } catch (err) {
      if (err.status === 401 || err.status === 403) {
        clearKey();
        return keyScreen('Your API key is no longer accepted (401). Enter a valid key.');
      }
      showBanner(err.message);
    }
  }
  nav.hidden = false;
  session.hidden = false;
  // A key limited to datasets sees only their lesions in every answer: say which.
  document.getElementById('session-who').textContent = me.name ? `${me.name} · ${me.role}${me.datasets ? ` · ${me.datasets.join(', ')}` : ''}` : '';
  const hash = location.hash || '#/search';
  for (const a of nav.querySelectorAll('a'))
    a.classList.toggle('active', hash.startsWith(`#/${a.dataset.nav}`) || (a.dataset.nav === 'search' && hash.startsWith('#/lesion')));
  for (const [pattern, render] of routes) {
    const m = hash.match(pattern);
    if (m) {
      main.replaceChildren();
      try {
        pageCleanup = await render(m);
      } catch (err) {
        clear(main, h('div.error', { role: 'alert' }, err.message));
      }
      return;
    }
  }
  location.hash = '#/search';
}

setAuthErrorHandler((err) => {
  if (err.status === 401) {
    clearKey();
    me.role = null;
    keyScreen('Your API key was refused (401). Enter a valid key.');
  } else showBanner(err.message);
});

document.getElementById('sign-out').addEventListener('click', () => {
  clearKey();
  me.name = me.role = me.datasets = null;
  keyScreen();
});
window.addEventListener('hashchange', () => {
  showBanner('');
  route();
});
route();
