/**
 * Masks of a CT slice (pure functions over row-major typed arrays): the body outline, the lungs and
 * the distances used by the detector and the point-to-box fit.
 */
export interface BodyMasks {
  width: number;
  height: number;
  body: Uint8Array;
  lung: Uint8Array;
  /** Lungs dilated by 6 px (city block), within the body: where bright lung blobs may sit. */
  lungNear: Uint8Array;
  /** Body eroded by 3 px (city block). */
  inner: Uint8Array;
  bodyArea: number;
  lungArea: number;
  /** Distance (px, chamfer) to the nearest pixel outside the body; the slice edge does not count. */
  distanceToOutside: Float32Array;
}

export const BODY_HU = -500;
export const LUNG_HU = -400;
/** Smallest lung part kept, in px at 512² (scaled with the image area). */
const LUNG_PART_PX = 3000;

/** 4-connected component labels of `mask` (0 = background); returns labels and each label's size. */
export function labelComponents(mask: Uint8Array, width: number, _height: number): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(mask.length);
  const sizes = [0];
  const stack = new Int32Array(mask.length);
  let next = 1;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    let top = 0;
    stack[top++] = start;
    labels[start] = next;
    let size = 0;
    while (top) {
      const p = stack[--top];
      size++;
      const x = p % width;
      if (x > 0 && mask[p - 1] && !labels[p - 1]) {
        labels[p - 1] = next;
        stack[top++] = p - 1;
      }
      if (x < width - 1 && mask[p + 1] && !labels[p + 1]) {
        labels[p + 1] = next;
        stack[top++] = p + 1;
      }
      if (p >= width && mask[p - width] && !labels[p - width]) {
        labels[p - width] = next;
        stack[top++] = p - width;
      }
      if (p < mask.length - width && mask[p + width] && !labels[p + width]) {
        labels[p + width] = next;
        stack[top++] = p + width;
      }
    }
    sizes.push(size);
    next++;
  }
  return { labels, sizes };
}

/** The component of `mask` containing pixel `seed` (empty when the seed is off the mask). */
export function componentAt(mask: Uint8Array, width: number, height: number, seed: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  if (!mask[seed]) return out;
  const stack = [seed];
  out[seed] = 1;
  while (stack.length) {
    const p = stack.pop()!;
    const x = p % width;
    const visit = (q: number) => {
      if (mask[q] && !out[q]) {
        out[q] = 1;
        stack.push(q);
      }
    };
    if (x > 0) visit(p - 1);
    if (x < width - 1) visit(p + 1);
    if (p >= width) visit(p - width);
    if (p < mask.length - width) visit(p + width);
  }
  return out;
}

/** Fills the holes of a mask: background not 4-connected to the image border becomes foreground. */
export function fillHoles(mask: Uint8Array, width: number, height: number): Uint8Array {
  const outside = new Uint8Array(mask.length);
  const stack: number[] = [];
  const seed = (p: number) => {
    if (!mask[p] && !outside[p]) {
      outside[p] = 1;
      stack.push(p);
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  while (stack.length) {
    const p = stack.pop()!;
    const x = p % width;
    if (x > 0) seed(p - 1);
    if (x < width - 1) seed(p + 1);
    if (p >= width) seed(p - width);
    if (p < mask.length - width) seed(p + width);
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = outside[i] ? 0 : 1;
  return out;
}

/** City-block distance (px) to the nearest pixel where `mask` is 0; pixels beyond the edge count as mask. */
export function cityBlockDistance(mask: Uint8Array, width: number, height: number): Uint16Array {
  const big = 65535;
  const d = new Uint16Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (!mask[p]) continue;
      let v = big;
      if (x > 0) v = Math.min(v, d[p - 1] + 1);
      if (y > 0) v = Math.min(v, d[p - width] + 1);
      d[p] = v;
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const p = y * width + x;
      if (!mask[p]) continue;
      let v = d[p];
      if (x < width - 1) v = Math.min(v, d[p + 1] + 1);
      if (y < height - 1) v = Math.min(v, d[p + width] + 1);
      d[p] = v;
    }
  }
  return d;
}

/**
 * Distance (px) to the nearest 0 of `mask` by a two-pass chamfer transform with steps 1 and √2
 * (within about 8 % of the Euclidean distance); pixels beyond the slice edge do not count as 0.
 */
export function chamferDistance(mask: Uint8Array, width: number, height: number): Float32Array {
  const d = new Float32Array(mask.length);
  const far = 1e9;
  for (let i = 0; i < d.length; i++) d[i] = mask[i] ? far : 0;
  const D = Math.SQRT2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      let v = d[p];
      if (v === 0) continue;
      if (x > 0) v = Math.min(v, d[p - 1] + 1);
      if (y > 0) {
        v = Math.min(v, d[p - width] + 1);
        if (x > 0) v = Math.min(v, d[p - width - 1] + D);
        if (x < width - 1) v = Math.min(v, d[p - width + 1] + D);
      }
      d[p] = v;
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const p = y * width + x;
      let v = d[p];
      if (v === 0) continue;
      if (x < width - 1) v = Math.min(v, d[p + 1] + 1);
      if (y < height - 1) {
        v = Math.min(v, d[p + width] + 1);
        if (x < width - 1) v = Math.min(v, d[p + width + 1] + D);
        if (x > 0) v = Math.min(v, d[p + width - 1] + D);
      }
      d[p] = v;
    }
  }
  for (let i = 0; i < d.length; i++) if (d[i] >= far) d[i] = Infinity;
  return d;
}

/** Separable Gaussian blur (edge-replicated borders). */
export function gaussianBlur(image: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += taps[i + radius] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < taps.length; i++) taps[i] /= sum;
  const tmp = new Float32Array(image.length);
  const out = new Float32Array(image.length);
  // Rows: padded copy of each row, then a branch-free inner loop.
  const row = new Float32Array(width + 2 * radius);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let i = 0; i < row.length; i++) row[i] = image[base + Math.min(width - 1, Math.max(0, i - radius))];
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < taps.length; k++) acc += taps[k] * row[x + k];
      tmp[base + x] = acc;
    }
  }
  // Columns: accumulate whole rows at a time (cache-friendly).
  for (let y = 0; y < height; y++) {
    const target = y * width;
    for (let k = 0; k < taps.length; k++) {
      const yy = Math.min(height - 1, Math.max(0, y + k - radius));
      const w = taps[k];
      const src = yy * width;
      for (let x = 0; x < width; x++) out[target + x] += w * tmp[src + x];
    }
  }
  return out;
}

/**
 * Body = the largest 4-connected part above −500 HU with its holes filled; lungs = body pixels below
 * −400 HU after a σ 2 blur, in parts of at least 3000 px (at 512²).
 */
export function bodyMasks(hu: Float32Array, width: number, height: number): BodyMasks {
  const above = new Uint8Array(hu.length);
  for (let i = 0; i < hu.length; i++) above[i] = hu[i] > BODY_HU ? 1 : 0;
  const { labels, sizes } = labelComponents(above, width, height);
  let best = 0;
  for (let l = 1; l < sizes.length; l++) if (sizes[l] > sizes[best]) best = l;
  const largest = new Uint8Array(hu.length);
  if (best) for (let i = 0; i < hu.length; i++) largest[i] = labels[i] === best ? 1 : 0;
  const body = fillHoles(largest, width, height);
  let bodyArea = 0;
  for (let i = 0; i < body.length; i++) bodyArea += body[i];
  const smooth = gaussianBlur(hu, width, height, 2);
  const low = new Uint8Array(hu.length);
  for (let i = 0; i < hu.length; i++) low[i] = body[i] && smooth[i] < LUNG_HU ? 1 : 0;
  const lungParts = labelComponents(low, width, height);
  const minPart = (LUNG_PART_PX * width * height) / (512 * 512);
  const lung = new Uint8Array(hu.length);
  let lungArea = 0;
  for (let i = 0; i < hu.length; i++) {
    if (lungParts.labels[i] && lungParts.sizes[lungParts.labels[i]] > minPart) {
      lung[i] = 1;
      lungArea++;
    }
  }
  const notLung = new Uint8Array(hu.length);
  for (let i = 0; i < hu.length; i++) notLung[i] = lung[i] ? 0 : 1;
  const toLung = cityBlockDistance(notLung, width, height);
  const toOutside = cityBlockDistance(body, width, height);
  const lungNear = new Uint8Array(hu.length);
  const inner = new Uint8Array(hu.length);
  for (let i = 0; i < hu.length; i++) {
    lungNear[i] = body[i] && toLung[i] <= 6 ? 1 : 0;
    inner[i] = toOutside[i] > 3 ? 1 : 0;
  }
  const distanceToOutside = chamferDistance(body, width, height);
  return { width, height, body, lung, lungNear, inner, bodyArea, lungArea, distanceToOutside };
}
