// The lesion's track: long and short axis over time with RECIST 1.1 thresholds and a prediction band.
const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * track: GET /lesions/:id/track; prediction: POST /growth/predict (or null). x is days when the track
 * has dates, else the study order (the plot says which); the prediction band is drawn only on a day axis.
 */
export function growthPlot(track, prediction) {
  const W = 560;
  const H = 260;
  const pad = { l: 48, r: 16, t: 16, b: 40 };
  const points = track.points.filter((p) => p.longAxisMm !== null);
  const byDays = track.time.basis === 'days';
  const xs = points.map((p, i) => (byDays ? p.days : i));
  const lastX = xs.length ? xs[xs.length - 1] : 0;
  const band = byDays && prediction?.prediction ? { x: lastX + prediction.intervalDays, ...prediction.prediction } : null;
  const longs = points.map((p) => p.longAxisMm);
  const baseline = longs[0] ?? 0;
  const nadir = longs.length ? Math.min(...longs) : 0;
  const pdLine = Math.max(nadir * 1.2, nadir + 5);
  const prLine = baseline * 0.7;
  const yMax = Math.max(...longs, pdLine, band ? band.interval80[1] : 0) * 1.1 || 10;
  const xMax = Math.max(band ? band.x : lastX, 1);
  const X = (x) => pad.l + (x / xMax) * (W - pad.l - pad.r);
  const Y = (y) => H - pad.b - (y / yMax) * (H - pad.t - pad.b);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'growth-plot', role: 'img', 'aria-label': `Long axis over ${byDays ? 'days' : 'study order'}` });
  svg.append(
    s('line', { x1: pad.l, y1: Y(0), x2: W - pad.r, y2: Y(0), class: 'axis' }),
    s('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: Y(0), class: 'axis' }),
  );
  for (const frac of [0, 0.5, 1])
    svg.append(s('text', { x: pad.l - 6, y: Y(yMax * frac) + 4, 'text-anchor': 'end', class: 'tick' }, `${(yMax * frac).toFixed(0)}`));
  svg.append(s('text', { x: W / 2, y: H - 8, 'text-anchor': 'middle', class: 'tick' }, byDays ? 'days since the first study' : 'study order (no dates)'));
  svg.append(s('text', { x: 12, y: pad.t + 4, class: 'tick' }, 'mm'));
  if (points.length) {
    svg.append(
      s('line', { x1: pad.l, y1: Y(pdLine), x2: W - pad.r, y2: Y(pdLine), class: 'threshold pd' }),
      s('text', { x: W - pad.r, y: Y(pdLine) - 4, 'text-anchor': 'end', class: 'tick pd' }, 'PD: +20 % and +5 mm over nadir'),
    );
    svg.append(
      s('line', { x1: pad.l, y1: Y(prLine), x2: W - pad.r, y2: Y(prLine), class: 'threshold pr' }),
      s('text', { x: W - pad.r, y: Y(prLine) + 12, 'text-anchor': 'end', class: 'tick pr' }, 'PR: −30 % from baseline'),
    );
  }
  if (band) {
    const x0 = X(lastX);
    const y0 = Y(longs[longs.length - 1]);
    svg.append(
      s('polygon', { points: `${x0},${y0} ${X(band.x)},${Y(band.interval80[1])} ${X(band.x)},${Y(band.interval80[0])}`, class: 'band' }),
      s('line', { x1: x0, y1: y0, x2: X(band.x), y2: Y(band.longAxisMm), class: 'predicted' }),
      s(
        'circle',
        { cx: X(band.x), cy: Y(band.longAxisMm), r: 4, class: 'predicted-point' },
        s('title', {}, `predicted ${band.longAxisMm.toFixed(1)} mm (80 %: ${band.interval80[0].toFixed(1)}–${band.interval80[1].toFixed(1)})`),
      ),
    );
  }
  const line = (values, cls) => {
    const pts = values.map((v, i) => (v === null ? null : `${X(xs[i])},${Y(v)}`)).filter(Boolean);
    if (pts.length > 1) svg.append(s('polyline', { points: pts.join(' '), class: cls }));
  };
  line(longs, 'long-axis');
  line(
    points.map((p) => p.shortAxisMm),
    'short-axis',
  );
  points.forEach((p, i) =>
    svg.append(
      s(
        'circle',
        { cx: X(xs[i]), cy: Y(p.longAxisMm), r: 4, class: 'measured', 'data-lesion': p.lesionId },
        s('title', {}, `study ${p.studyIndex}: ${p.longAxisMm.toFixed(1)} mm${p.recist ? ` (${p.recist})` : ''}`),
      ),
    ),
  );
  return svg;
}
