// The tray's picture of the overall state: a round dot in the state's colour, as raw BGRA pixels
// (what Electron's nativeImage.createFromBitmap takes), so no image file per state is needed.
import type { TrayState } from './tray-model'

/** The window's own colours for the same meanings (src/renderer/src/style.css). */
export const TRAY_COLORS: Record<TrayState, readonly [r: number, g: number, b: number]> = {
  synced: [0x16, 0xa3, 0x4a],
  syncing: [0x25, 0x63, 0xeb],
  paused: [0xd9, 0x77, 0x06],
  problem: [0xdc, 0x26, 0x26],
  stopped: [0x9c, 0xa3, 0xaf],
}

/** A `size`×`size` BGRA bitmap: the dot, edges softened, transparent around it. */
export function trayIconBitmap(state: TrayState, size = 16): Buffer {
  const [r, g, b] = TRAY_COLORS[state]
  const pixels = Buffer.alloc(size * size * 4)
  const centre = (size - 1) / 2
  const radius = size * 0.42
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const distance = Math.hypot(x - centre, y - centre)
      const alpha = Math.round(255 * Math.max(0, Math.min(1, radius - distance + 0.5)))
      const at = (y * size + x) * 4
      pixels[at] = b
      pixels[at + 1] = g
      pixels[at + 2] = r
      pixels[at + 3] = alpha
    }
  }
  return pixels
}
