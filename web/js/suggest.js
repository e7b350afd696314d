// Type-ahead for tag queries: suggests vocabulary terms for the word being typed (GET /vocabulary/suggest).
import { getJson, qs } from './api.js';
import { debounce, h } from './dom.js';

const OPERATORS = new Set(['and', 'or', 'not', 'no', 'without']);

/** The word being typed: from the last space, parenthesis or quote before the caret to the caret. */
function currentToken(input) {
  const caret = input.selectionStart ?? input.value.length;
  const before = input.value.slice(0, caret);
  const start = Math.max(before.lastIndexOf(' '), before.lastIndexOf('('), before.lastIndexOf('"')) + 1;
  return { start, end: caret, text: before.slice(start) };
}

/**
 * Adds a suggestion list under `input`. Arrow keys move, Enter or Tab picks, Escape closes;
 * `onPick()` runs after a term was put into the box. With `whole: true` the term replaces the whole box.
 */
export function attachSuggest(input, { onPick = () => {}, whole = false, limit = 8 } = {}) {
  const list = h('ul.suggest', { role: 'listbox', id: `${input.id || 'q'}-suggest` });
  list.hidden = true;
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', list.id);
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('autocomplete', 'off');
  const wrap = h('div.suggest-wrap');
  input.replaceWith(wrap);
  wrap.append(input, list);

  let items = [];
  let active = -1;
  let seq = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    active = -1;
  };
  const highlight = (i) => {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
    if (i >= 0) input.setAttribute('aria-activedescendant', list.children[i].id);
    else input.removeAttribute('aria-activedescendant');
  };
  const pick = (i) => {
    const term = items[i]?.term;
    if (!term) return;
    const text = /\s/.test(term) ? `"${term}"` : term;
    if (whole) input.value = term;
    else {
      const tok = currentToken(input);
      const before = input.value.slice(0, tok.start).replace(/"$/, '');
      const after = input.value.slice(tok.end);
      input.value = `${before}${text}${after.startsWith(' ') ? '' : ' '}${after}`;
      const caret = before.length + text.length + 1;
      input.setSelectionRange(caret, caret);
    }
    close();
    onPick(term);
  };

  const lookup = debounce(async () => {
    const tok = whole ? { text: input.value.trim() } : currentToken(input);
    const prefix = tok.text.trim();
    const mine = ++seq;
    if (prefix.length < 2 || OPERATORS.has(prefix.toLowerCase())) return close();
    try {
      const found = await getJson(`vocabulary/suggest${qs({ prefix, limit })}`);
      if (mine !== seq || document.activeElement !== input) return;
      items = found;
      if (!items.length) return close();
      list.replaceChildren(
        ...items.map((s, i) =>
          h(
            'li',
            { id: `${list.id}-${i}`, role: 'option', onmousedown: (e) => (e.preventDefault(), pick(i)) },
            h('span.term', s.term),
            s.matched && s.matched !== s.term.toLowerCase() ? h('span.muted', ` (${s.matched})`) : null,
            h('span.cls', s.termClass || ''),
          ),
        ),
      );
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      highlight(-1);
    } catch {
      close();
    }
  }, 150);

  input.addEventListener('input', lookup);
  input.addEventListener('blur', () => setTimeout(close, 100));
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      highlight((active + 1) % items.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if ((e.key === 'Enter' || e.key === 'Tab') && active >= 0) {
      e.preventDefault();
      e.stopImmediatePropagation();
      pick(active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  return { close, cancel: () => (lookup.cancel(), close()) };
}
