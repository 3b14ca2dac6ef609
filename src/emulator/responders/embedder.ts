import { hashString, SeededRandom } from "../state/seeded-random.js";

/** Options for `embedText`. */
export interface EmbedOptions {
  /** Length of the vector. */
  readonly dimensions: number;
  /** Scale the vector to unit length (L2 norm 1), as Titan's `normalize` asks. */
  readonly normalize: boolean;
  /**
   * Mixed into the text's hash, so another emulator seed gives other vectors.
   * @default 0
   */
  readonly seed?: number;
}

/**
 * A deterministic embedding: the same text (and seed) always gives the same vector, another
 * text another vector. Components are drawn from a seeded generator keyed by a hash of the
 * text; they carry no meaning, so similar texts are not close. Unnormalized components lie in
 * [-1, 1).
 */
export function embedText(text: string, options: EmbedOptions): Float32Array {
  const { dimensions } = options;
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new RangeError(
      `embedText: dimensions must be a positive integer, got ${String(dimensions)}`,
    );
  }
  const random = new SeededRandom(hashString(text, options.seed ?? 0));
  const vector = new Float32Array(dimensions);
  let sumOfSquares = 0;
  for (let i = 0; i < dimensions; i++) {
    // The mean of two uniforms leans towards zero, as real embedding components do.
    const value = random.next() + random.next() - 1;
    vector[i] = value;
    sumOfSquares += value * value;
  }
  if (options.normalize) {
    const norm = Math.sqrt(sumOfSquares) || 1;
    for (let i = 0; i < dimensions; i++) vector[i] = vector[i]! / norm;
  }
  return vector;
}

/**
 * The float vector as a plain array for JSON, each component rounded to 8 decimals: about the
 * precision embedding APIs print, and half the bytes of a float32 widened to 17 digits.
 */
export function vectorToArray(vector: Float32Array): number[] {
  return Array.from(vector, (value) => Math.round(value * 1e8) / 1e8);
}

/** Signed 8-bit quantization of a vector whose components lie in [-1, 1]. */
export function quantizeInt8(vector: Float32Array): number[] {
  return Array.from(vector, (value) => clamp(Math.round(value * 127), -128, 127));
}

/** Unsigned 8-bit quantization of a vector whose components lie in [-1, 1]. */
export function quantizeUint8(vector: Float32Array): number[] {
  return Array.from(vector, (value) => clamp(Math.round((value + 1) * 127.5), 0, 255));
}

/**
 * One bit a component (1 when positive), packed eight to a byte, most significant bit first:
 * Cohere's `ubinary` (bytes 0..255) or, with `signed`, its `binary` (bytes as int8).
 */
export function packBits(vector: Float32Array, signed: boolean): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < vector.length; i += 8) {
    let byte = 0;
    for (let bit = 0; bit < 8; bit++) {
      byte = (byte << 1) | ((vector[i + bit] ?? 0) > 0 ? 1 : 0);
    }
    bytes.push(signed && byte > 127 ? byte - 256 : byte);
  }
  return bytes;
}

/** One 0/1 value a component (1 when positive): Titan's `binary` embedding type. */
export function binaryComponents(vector: Float32Array): number[] {
  return Array.from(vector, (value) => (value > 0 ? 1 : 0));
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
