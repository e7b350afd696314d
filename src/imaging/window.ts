import { HuWindow } from './hu-image';

/** Common CT display windows (low, high in HU). */
export const WINDOW_PRESETS = {
  soft: { low: -160, high: 240 },
  lung: { low: -1350, high: 150 },
  bone: { low: -500, high: 1300 },
  liver: { low: -25, high: 175 },
  brain: { low: 0, high: 80 },
} as const satisfies Record<string, HuWindow>;

export type WindowPreset = keyof typeof WINDOW_PRESETS;

/** HU → 0..255 grey, clipped outside the window. */
export function applyWindow(hu: Float32Array, window: HuWindow): Uint8Array {
  const out = new Uint8Array(hu.length);
  const scale = 255 / (window.high - window.low);
  for (let i = 0; i < hu.length; i++) {
    const v = (hu[i] - window.low) * scale;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}
