import { hashString, SeededRandom } from "../state/seeded-random.js";

const WORDS = (
  "the quarry model river stone signal garden market lantern harbor meadow copper silver " +
  "engine valley orchard summit bridge canvas thread anchor compass ember falcon glacier " +
  "harvest island jungle kettle ledger marble nectar oasis pepper quartz ribbon saddle " +
  "timber umbrella velvet willow yarrow zephyr amber basil cedar delta echo fable granite " +
  "hollow ivory jasper kernel lumen mosaic nimbus opal prairie quill rustle sable tundra " +
  "under vivid wander young zest brave calm daring eager fair gentle happy keen lively " +
  "quiet rapid steady tidy useful warm bright clear deep early fresh grand light open " +
  "and of to in with for on by from as at into over under between through about " +
  "builds carries finds gives holds keeps leads makes opens reads shows takes turns writes"
).split(" ");

/** A request for synthetic text of a given length. */
export interface SyntheticTextRequest {
  /** Tokens to produce if the budget allows. */
  readonly targetTokens: number;
  /** The max_tokens budget; text is cut there. */
  readonly maxTokens: number;
  /** Seeds the words, so the same prompt always gets the same reply. */
  readonly seed: number;
}

/** Text whose token count (by the emulator's tokenizer) is known exactly. */
export interface SyntheticText {
  readonly text: string;
  readonly tokens: number;
  readonly truncated: boolean;
}

/**
 * Deterministic filler prose: sentences of 6-14 words, every word and every punctuation mark
 * one token, so the reply is exactly as long as asked (or cut at max_tokens).
 */
export function syntheticText(request: SyntheticTextRequest): SyntheticText {
  const limit = Math.max(0, Math.min(request.targetTokens, request.maxTokens));
  const random = new SeededRandom(request.seed);
  const parts: string[] = [];
  let tokens = 0;
  let sentenceLeft = 0;
  let startOfSentence = true;
  while (tokens < limit) {
    if (sentenceLeft === 0) sentenceLeft = random.int(6, 14);
    const remaining = limit - tokens;
    // Close the sentence with a period when it is done or when one token is left.
    if (sentenceLeft === 1 || remaining === 1) {
      if (parts.length > 0 && !startOfSentence) {
        parts.push(".");
        tokens++;
        sentenceLeft = 0;
        startOfSentence = true;
        continue;
      }
    }
    let word = WORDS[random.int(0, WORDS.length - 1)]!;
    if (startOfSentence) word = word[0]!.toUpperCase() + word.slice(1);
    parts.push(parts.length === 0 ? word : ` ${word}`);
    startOfSentence = false;
    tokens++;
    sentenceLeft--;
  }
  return { text: parts.join(""), tokens, truncated: request.targetTokens > request.maxTokens };
}

const LENGTH_ASK = /\b(\d{1,5})[\s-]*(words?|tokens?|sentences?|paragraphs?)\b/i;

/**
 * How many tokens the prompt asks for ("in 200 words", "3 sentences", "500 tokens"), or
 * undefined when it does not say.
 */
export function requestedLength(prompt: string): number | undefined {
  const match = LENGTH_ASK.exec(prompt);
  if (!match) return undefined;
  const n = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  if (unit.startsWith("token")) return n;
  if (unit.startsWith("word")) return Math.ceil(n * 1.1);
  if (unit.startsWith("sentence")) return n * 11;
  return n * 60;
}

/** A per-prompt seed mixed with the emulator's seed. */
export function promptSeed(prompt: string, seed: number): number {
  return hashString(prompt, seed);
}
