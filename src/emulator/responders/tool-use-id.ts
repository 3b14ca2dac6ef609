import { hashString } from "../state/seeded-random.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A tool-use id as the API spells them, stable for a prompt: `tooluse_` + 22 characters on
 * Converse (e.g. `tooluse_kZJMlvQmRJ6eAyJE5GIl7Q`), `toolu_bdrk_01` + 22 characters for Claude
 * on InvokeModel (e.g. `toolu_bdrk_01T1x1fJ34qAmk2tNTrN7Up6`).
 */
export function toolUseId(prefix: string, text: string, seed: number): string {
  let state = hashString(text, seed);
  let id = prefix;
  for (let i = 0; i < 22; i++) {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + i) >>> 0;
    id += ALPHABET[state % ALPHABET.length];
  }
  return id;
}
