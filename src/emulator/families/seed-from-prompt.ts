import { hashString } from "../state/seeded-random.js";

/**
 * The seed an image model uses when the request leaves it to chance (Stability's seed 0, an
 * absent seed): derived from the prompt, so the emulator stays reproducible while different
 * prompts still get different seeds. Always within [1, max].
 */
export function seedFromPrompt(prompt: string, max: number): number {
  return 1 + (hashString(prompt, 0x5eed) % max);
}
