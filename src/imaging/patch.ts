import { Box, HuImage } from './hu-image';

export interface PatchGeometry {
  /** Centre of the square in source pixels. */
  cx: number;
  cy: number;
  /** Side of the square in source pixels. */
  side: number;
}

/**
 * The context square around a lesion on `image`: `contextMm` wide through its column spacing when that
 * is known (LesaNet used 120 mm), never tighter than 1.5× the box so large lesions keep a margin;
 * without spacing, 2.5× the box's longer side.
 */
export function patchGeometry(image: Pick<HuImage, 'spacing'>, box: Box, contextMm = 120): PatchGeometry {
  const boxSide = Math.max(box.x2 - box.x1, box.y2 - box.y1);
  const byContext = image.spacing ? contextMm / image.spacing.x : 2.5 * boxSide;
  return { cx: (box.x1 + box.x2) / 2, cy: (box.y1 + box.y2) / 2, side: Math.max(byContext, 1.5 * boxSide, 8) };
}

/**
 * Resamples the square `geometry` of `image` to `outSize`×`outSize` (bilinear), its spacing scaled to
 * match. Outside the image the nearest edge pixel is repeated (border replication), so patches at the
 * edge have no black bars.
 */
export function cropSquare(image: HuImage, geometry: PatchGeometry, outSize: number): HuImage {
  const out = new Float32Array(outSize * outSize);
  const scale = geometry.side / outSize;
  const x0 = geometry.cx - geometry.side / 2;
  const y0 = geometry.cy - geometry.side / 2;
  const { width, height, data } = image;
  for (let oy = 0; oy < outSize; oy++) {
    // Sample at pixel centres: output pixel (i + 0.5) maps to source coordinate, then to index space (−0.5).
    const sy = clamp(y0 + (oy + 0.5) * scale - 0.5, 0, height - 1);
    const yA = Math.floor(sy);
    const yB = Math.min(yA + 1, height - 1);
    const fy = sy - yA;
    for (let ox = 0; ox < outSize; ox++) {
      const sx = clamp(x0 + (ox + 0.5) * scale - 0.5, 0, width - 1);
      const xA = Math.floor(sx);
      const xB = Math.min(xA + 1, width - 1);
      const fx = sx - xA;
      const top = data[yA * width + xA] * (1 - fx) + data[yA * width + xB] * fx;
      const bottom = data[yB * width + xA] * (1 - fx) + data[yB * width + xB] * fx;
      out[oy * outSize + ox] = top * (1 - fy) + bottom * fy;
    }
  }
  const spacing = image.spacing && { ...image.spacing, x: image.spacing.x * scale, y: image.spacing.y * scale };
  return { width: outSize, height: outSize, data: out, spacing };
}

/** Where a source-pixel box lands in a patch cut with `geometry` and resampled to `outSize`. */
export function boxInPatch(box: Box, geometry: PatchGeometry, outSize: number): Box {
  const scale = outSize / geometry.side;
  const x0 = geometry.cx - geometry.side / 2;
  const y0 = geometry.cy - geometry.side / 2;
  return { x1: (box.x1 - x0) * scale, y1: (box.y1 - y0) * scale, x2: (box.x2 - x0) * scale, y2: (box.y2 - y0) * scale };
}

/** Grey → RGB, with an optional one-pixel-wide box outline in `colour`. */
export function greyToRgbWithBox(grey: Uint8Array, size: number, box: Box | null, colour: [number, number, number] = [255, 210, 0]): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < grey.length; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = grey[i];
  if (!box) return rgb;
  const x1 = clamp(Math.round(box.x1), 0, size - 1);
  const x2 = clamp(Math.round(box.x2), 0, size - 1);
  const y1 = clamp(Math.round(box.y1), 0, size - 1);
  const y2 = clamp(Math.round(box.y2), 0, size - 1);
  const paint = (x: number, y: number) => rgb.set(colour, (y * size + x) * 3);
  for (let x = x1; x <= x2; x++) {
    paint(x, y1);
    paint(x, y2);
  }
  for (let y = y1; y <= y2; y++) {
    paint(x1, y);
    paint(x2, y);
  }
  return rgb;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
