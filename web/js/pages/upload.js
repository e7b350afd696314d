// Upload a slice: show it, click a lesion (point → box) or drag a box, find similar lesions; detect lesions.
import { postForm } from '../api.js';
import { hitCard, tagChips } from '../cards.js';
import { clear, errorBox, field, fmt, h } from '../dom.js';
import { decodeSlice, DISPLAY_WINDOWS, windowed } from '../slice.js';

const DEFAULT_HU_8BIT = '-1024,3071'; // DeepLesion key slices: grey levels 0..255 stand for -1024..3071 HU

export function renderUpload(main) {
  const state = { file: null, slice: null, box: null, point: null, outline: null, detections: [], selected: -1, drag: null };

  const fileInput = h('input', {
    type: 'file',
    id: 'slice-file',
    accept: '.png,.jpg,.jpeg,.dcm,image/png,image/jpeg,application/dicom',
    onchange: () => fileInput.files[0] && load(fileInput.files[0]),
  });
  const drop = h(
    'label.dropzone',
    { for: 'slice-file', id: 'dropzone' },
    h('strong', 'Drop a slice here'),
    h('span.muted', ' or click to choose: DeepLesion 16-bit PNG, DICOM, or 8-bit PNG/JPEG'),
    fileInput,
  );
  drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) load(e.dataTransfer.files[0]);
  });

  const huWindow = h('input', {
    id: 'hu-window',
    value: DEFAULT_HU_8BIT,
    pattern: '^\\s*-?\\d+(\\.\\d+)?\\s*,\\s*-?\\d+(\\.\\d+)?\\s*$',
    onchange: () => state.file && state.slice && /png8|jpeg/.test(state.slice.kind) && load(state.file),
  });
  const huField = field('HU range of the grey levels (8-bit images)', huWindow, 'low,high — DeepLesion key slices: -1024,3071');
  const spacing = h('input', { id: 'spacing-mm', type: 'number', step: 'any', min: 0.05, max: 10, placeholder: 'e.g. 0.8' });
  const display = h(
    'select',
    { id: 'display-window', onchange: () => draw() },
    Object.keys(DISPLAY_WINDOWS).map((w) => h('option', { value: w }, w)),
  );
  const fileInfo = h('p.small.muted', { id: 'file-info' });

  const canvas = h('canvas.slice-canvas', {
    id: 'slice-canvas',
    width: 512,
    height: 512,
    tabindex: 0,
    'aria-label': 'The uploaded slice: drag to draw a box, click to select a lesion',
  });
  const base = document.createElement('canvas');
  const detectBtn = h('button.btn', { type: 'button', id: 'detect', disabled: true, onclick: () => detect() }, 'Detect lesions');
  const clearBtn = h(
    'button.btn.ghost',
    {
      type: 'button',
      disabled: true,
      onclick: () => (
        (state.box = state.point = state.outline = null),
        (state.detections = []),
        (state.selected = -1),
        draw(),
        clear(results),
        clear(detectList)
      ),
    },
    'Clear',
  );
  const status = h('p.status', { id: 'upload-status', 'aria-live': 'polite' }, 'Choose a slice to begin.');
  const results = h('div', { id: 'upload-results' });
  const detectList = h('div', { id: 'detections' });

  clear(
    main,
    h(
      'div.layout-upload',
      h(
        'aside.sidebar',
        h('h1', 'Upload a slice'),
        drop,
        fileInfo,
        huField,
        field('Pixel spacing (mm)', spacing, 'optional; read from DICOM files'),
        field('Display window', display),
        h('div.buttons', detectBtn, clearBtn),
        detectList,
      ),
      h('section.content', h('div.canvas-frame', canvas), status, results),
    ),
  );

  async function load(file) {
    state.file = file;
    state.box = state.point = state.outline = null;
    state.detections = [];
    state.selected = -1;
    clear(results);
    clear(detectList);
    const hu = huWindow.value.split(',').map(Number);
    const slice = await decodeSlice(file, hu.length === 2 && hu[1] > hu[0] ? hu : [-1024, 3071]);
    state.slice = slice;
    huField.hidden = !(slice.kind === 'png8' || slice.kind === 'jpeg');
    if (slice.spacingMm && !spacing.value) spacing.value = String(slice.spacingMm);
    canvas.width = base.width = slice.width;
    canvas.height = base.height = slice.height;
    const bctx = base.getContext('2d');
    if (slice.hu) bctx.putImageData(windowed(slice, DISPLAY_WINDOWS[display.value]), 0, 0);
    else placeholder(bctx, slice);
    fileInfo.textContent = `${file.name} · ${{ png16: '16-bit PNG', png8: '8-bit PNG', jpeg: 'JPEG', dicom: 'DICOM', unknown: 'unknown type' }[slice.kind]} · ${slice.width} × ${slice.height}`;
    detectBtn.disabled = clearBtn.disabled = false;
    canvas.dataset.ready = 'true';
    status.textContent = slice.note || 'Drag a box around a lesion, or click inside one to find its outline. "Detect lesions" marks candidates.';
    draw();
  }

  function placeholder(ctx, slice) {
    ctx.fillStyle = '#10161d';
    ctx.fillRect(0, 0, slice.width, slice.height);
    ctx.strokeStyle = '#2b3a48';
    for (let x = 0; x < slice.width; x += 64) ctx.strokeRect(x, 0, 64, slice.height);
    for (let y = 0; y < slice.height; y += 64) ctx.strokeRect(0, y, slice.width, 64);
    ctx.fillStyle = '#7f93a6';
    ctx.font = `${Math.round(slice.width / 24)}px sans-serif`;
    ctx.fillText('Preview not available — you can still draw', slice.width * 0.08, slice.height / 2);
  }

  function draw() {
    const ctx = canvas.getContext('2d');
    if (state.slice?.hu) base.getContext('2d').putImageData(windowed(state.slice, DISPLAY_WINDOWS[display.value]), 0, 0);
    ctx.drawImage(base, 0, 0);
    const lw = Math.max(1, canvas.width / 400);
    ctx.lineWidth = lw;
    state.detections.forEach((d, i) => {
      ctx.strokeStyle = i === state.selected ? '#f2c14e' : '#4fc3f7';
      ctx.setLineDash([4 * lw, 3 * lw]);
      ctx.strokeRect(d.box.x1, d.box.y1, d.box.x2 - d.box.x1, d.box.y2 - d.box.y1);
      ctx.setLineDash([]);
      ctx.fillStyle = '#4fc3f7';
      ctx.font = `${Math.round(11 * lw)}px sans-serif`;
      ctx.fillText(`${i + 1} · ${d.score.toFixed(2)}`, d.box.x1, Math.max(10 * lw, d.box.y1 - 3 * lw));
    });
    const b = state.drag ? norm(state.drag) : state.box;
    if (b) {
      ctx.strokeStyle = '#f2c14e';
      ctx.lineWidth = 1.5 * lw;
      ctx.strokeRect(b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1);
    }
    if (state.outline && !state.drag) {
      // The lesion's contour and its RECIST axes from point-to-box (slice pixels, as the box).
      const { contour, longAxis, shortAxis } = state.outline;
      ctx.strokeStyle = '#7ee081';
      ctx.lineWidth = lw;
      ctx.beginPath();
      contour.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
      ctx.closePath();
      ctx.stroke();
      for (const axis of [longAxis, shortAxis]) {
        ctx.beginPath();
        ctx.moveTo(axis.from.x, axis.from.y);
        ctx.lineTo(axis.to.x, axis.to.y);
        ctx.stroke();
      }
    }
    if (state.point) {
      ctx.fillStyle = '#ff6b6b';
      ctx.beginPath();
      ctx.arc(state.point.x, state.point.y, 3 * lw, 0, Math.PI * 2);
      ctx.fill();
    }
  }

  const norm = (d) => ({ x1: Math.min(d.x0, d.x), y1: Math.min(d.y0, d.y), x2: Math.max(d.x0, d.x), y2: Math.max(d.y0, d.y) });
  function toImage(e) {
    const r = canvas.getBoundingClientRect();
    return {
      x: Math.round(Math.max(0, Math.min(canvas.width - 1, ((e.clientX - r.left) / r.width) * canvas.width))),
      y: Math.round(Math.max(0, Math.min(canvas.height - 1, ((e.clientY - r.top) / r.height) * canvas.height))),
    };
  }
  canvas.addEventListener('pointerdown', (e) => {
    if (!state.slice) return;
    const p = toImage(e);
    state.drag = { x0: p.x, y0: p.y, x: p.x, y: p.y, screen: { x: e.clientX, y: e.clientY } };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!state.drag) return;
    Object.assign(state.drag, toImage(e));
    draw();
  });
  canvas.addEventListener('pointerup', (e) => {
    if (!state.drag) return;
    const d = state.drag;
    state.drag = null;
    const moved = Math.hypot(e.clientX - d.screen.x, e.clientY - d.screen.y);
    if (moved < 5) return fromPoint({ x: d.x0, y: d.y0 });
    const box = norm(d);
    if (box.x2 - box.x1 < 2 || box.y2 - box.y1 < 2) return draw();
    state.box = box;
    state.point = null;
    state.outline = null;
    state.selected = -1;
    draw();
    similar(box);
  });

  function form(extra = {}) {
    const f = new FormData();
    f.append('file', state.file, state.file.name);
    if (spacing.value) f.append('spacingMm', spacing.value);
    if (state.slice.kind === 'png8' || state.slice.kind === 'jpeg') f.append('huWindow', huWindow.value.trim() || DEFAULT_HU_8BIT);
    for (const [k, v] of Object.entries(extra)) f.append(k, String(v));
    return f;
  }

  const boxText = (b) => `${Math.round(b.x1)}, ${Math.round(b.y1)} – ${Math.round(b.x2)}, ${Math.round(b.y2)}`;

  async function similar(box, note) {
    status.textContent = `Box ${boxText(box)}: searching similar lesions…`;
    clear(results, h('div.loading', 'Searching…'));
    try {
      const res = await postForm('search/similar', form({ box: [box.x1, box.y1, box.x2, box.y2].map(Math.round).join(','), k: 12 }));
      status.textContent = `Box ${boxText(box)}`;
      showResults(res.hits, note);
    } catch (err) {
      status.textContent = '';
      clear(results, errorBox(err));
    }
  }

  async function fromPoint(point) {
    state.point = point;
    state.box = null;
    state.outline = null;
    draw();
    status.textContent = `Finding the lesion at ${point.x}, ${point.y}…`;
    clear(results, h('div.loading', 'Outlining the lesion…'));
    try {
      const res = await postForm('detections/from-point', form({ x: point.x, y: point.y, include: 'similar,tags', k: 12 }));
      state.box = res.box;
      state.outline = res.contour ? { contour: res.contour, longAxis: res.longAxis, shortAxis: res.shortAxis } : null;
      draw();
      status.textContent = `Box ${boxText(res.box)} · long axis ${res.longAxisMm === null ? `${fmt.num(res.longAxisPx, 0)} px` : fmt.mm(res.longAxisMm)}, short axis ${res.shortAxisMm === null ? `${fmt.num(res.shortAxisPx, 0)} px` : fmt.mm(res.shortAxisMm)}`;
      if (res.similar) showResults(res.similar, null, res.tags);
      else similar(res.box);
    } catch (err) {
      state.point = null;
      draw();
      status.textContent = err.status === 404 ? 'Click-to-outline is not available on this server: drag a box around the lesion instead.' : '';
      clear(results, err.status === 404 ? null : errorBox(err));
    }
  }

  function showResults(hits, note, tags) {
    clear(
      results,
      tags?.length
        ? h(
            'section.panel',
            h('h2', 'Predicted tags'),
            h(
              'div',
              { id: 'predicted-tags' },
              tagChips(
                tags.map((t) => ({ ...t, source: 'predicted' })),
                12,
              ),
            ),
          )
        : null,
      h(
        'section.panel',
        h('h2', 'Similar lesions', note ? h('span.muted.small', ` ${note}`) : null),
        hits.length
          ? h(
              'div.grid.small-grid',
              { id: 'upload-similar' },
              hits.map((hit) => hitCard(hit, display.value === 'lung' ? 'lung' : 'soft')),
            )
          : h('p.muted', 'No similar lesions found.'),
      ),
    );
  }

  async function detect() {
    detectBtn.disabled = true;
    clear(detectList, h('div.loading', 'Detecting…'));
    try {
      const res = await postForm('detections', form());
      state.detections = res.detections || [];
      state.selected = -1;
      draw();
      clear(
        detectList,
        h('h2', `${state.detections.length} candidate${state.detections.length === 1 ? '' : 's'}`),
        state.detections.length
          ? h(
              'ol.detections',
              state.detections.map((d, i) =>
                h(
                  'li',
                  h(
                    'button.btn.ghost.small',
                    {
                      type: 'button',
                      onclick: () => {
                        state.selected = i;
                        state.box = d.box;
                        state.point = state.outline = null;
                        draw();
                        similar(d.box, `(candidate ${i + 1})`);
                      },
                    },
                    `#${i + 1} score ${d.score.toFixed(2)} · ${Math.round(d.box.x2 - d.box.x1)}×${Math.round(d.box.y2 - d.box.y1)} px`,
                  ),
                ),
              ),
            )
          : h('p.muted', 'No lesion candidates above the threshold.'),
      );
    } catch (err) {
      clear(detectList, err.status === 404 ? h('p.muted', 'Detection is not available on this server.') : errorBox(err));
    } finally {
      detectBtn.disabled = false;
    }
  }
}
