import { encode } from 'fast-png';
import { Box, HuImage, HuWindow } from './hu-image';
import { boxInPatch, cropSquare, greyToRgbWithBox, patchGeometry } from './patch';
import { applyWindow, WINDOW_PRESETS, WindowPreset } from './window';

export interface PatchRenderOptions {
  window: HuWindow;
  drawBox: boolean;
  size: number;
  /** Side of the square in mm, when the image's spacing is known. */
  contextMm: number;
}

/** The lesion's context square, windowed, optionally with its box, as an RGB PNG. */
export function renderPatchPng(image: HuImage, box: Box, options: PatchRenderOptions): Uint8Array {
  const geometry = patchGeometry(image, box, options.contextMm);
  const patch = cropSquare(image, geometry, options.size);
  const grey = applyWindow(patch.data, options.window);
  const rgb = greyToRgbWithBox(grey, options.size, options.drawBox ? boxInPatch(box, geometry, options.size) : null);
  return encode({ width: options.size, height: options.size, data: rgb, depth: 8, channels: 3 });
}

/** `soft` / `lung` / … or `"low,high"`. */
export function parseWindow(text: string): HuWindow | null {
  if (text in WINDOW_PRESETS) return WINDOW_PRESETS[text as WindowPreset];
  const parts = text.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[1] > parts[0])) return null;
  return { low: parts[0], high: parts[1] };
}
