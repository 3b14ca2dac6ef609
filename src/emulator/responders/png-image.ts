import { PNG } from "pngjs";
import { hashString, SeededRandom } from "../state/seeded-random.js";

/** What to draw. */
export interface PngImageRequest {
  /** The prompt: with the seed, it chooses the colours and the pattern. */
  readonly prompt: string;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
}

/** Largest side the renderer accepts; far above any size a Bedrock image model produces. */
export const MAX_IMAGE_SIDE = 8192;

// Rows repeat within horizontal bands, so PNG's "up" filter turns all but the first row of a
// band into zeros and deflate has almost nothing to do: a 1024×1024 image takes ~20 ms.
const BAND_HEIGHT = 64;
const FILTER_UP = 2;

/**
 * A real, valid RGB PNG of exactly the requested size, deterministic for a (prompt, seed):
 * horizontal bands of a seeded two-colour gradient crossed by seeded vertical stripes. Another
 * seed or prompt gives other colours, hence other bytes.
 */
export function renderPngImage(request: PngImageRequest): Buffer {
  const { width, height } = request;
  for (const [name, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_IMAGE_SIDE) {
      throw new RangeError(
        `renderPngImage: ${name} must be an integer from 1 to ${MAX_IMAGE_SIDE}, got ${String(value)}`,
      );
    }
  }
  const random = new SeededRandom(hashString(request.prompt, request.seed >>> 0));
  const from = [random.int(0, 255), random.int(0, 255), random.int(0, 255)];
  const to = [random.int(0, 255), random.int(0, 255), random.int(0, 255)];
  const stripe = [random.int(0, 255), random.int(0, 255), random.int(0, 255)];
  const stripeWidth = random.int(8, 48);
  const stripePhase = random.int(0, stripeWidth * 2);

  const rowBytes = width * 3;
  const data = Buffer.allocUnsafe(rowBytes * height);
  const row = Buffer.allocUnsafe(rowBytes);
  for (let y = 0; y < height; y++) {
    if (y % BAND_HEIGHT === 0) {
      const bandShade = random.int(0, 40);
      const vertical = height > 1 ? y / (height - 1) : 0;
      for (let x = 0; x < width; x++) {
        const horizontal = width > 1 ? x / (width - 1) : 0;
        const mix = (horizontal + vertical) / 2;
        const inStripe = Math.floor((x + stripePhase) / stripeWidth) % 3 === 0;
        for (let channel = 0; channel < 3; channel++) {
          const base = from[channel]! + (to[channel]! - from[channel]!) * mix;
          const value = inStripe ? (base + stripe[channel]!) / 2 : base;
          row[x * 3 + channel] = clampByte(value - bandShade);
        }
      }
    }
    row.copy(data, y * rowBytes);
  }

  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = data;
  return PNG.sync.write(png, {
    colorType: 2,
    inputColorType: 2,
    inputHasAlpha: false,
    filterType: FILTER_UP,
  });
}

function clampByte(value: number): number {
  return Math.round(Math.min(255, Math.max(0, value)));
}
