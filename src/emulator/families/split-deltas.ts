import { countTokens } from "../state/count-tokens.js";

/** A piece of streamed text and the tokens it carries. */
export interface TextDelta {
  readonly text: string;
  readonly tokens: number;
}

/**
 * Splits text into stream deltas of a few words each, as models stream, keeping leading spaces
 * on the words so the concatenated deltas equal the text exactly.
 */
export function splitIntoDeltas(text: string, wordsPerDelta = 4): TextDelta[] {
  if (text.length === 0) return [];
  const pieces = text.match(/\s*\S+/g) ?? [text];
  const deltas: TextDelta[] = [];
  for (let i = 0; i < pieces.length; i += wordsPerDelta) {
    let piece = pieces.slice(i, i + wordsPerDelta).join("");
    if (i + wordsPerDelta >= pieces.length) {
      // Trailing whitespace belongs to the last delta.
      const consumed = deltas.reduce((n, d) => n + d.text.length, 0) + piece.length;
      piece += text.slice(consumed);
    }
    deltas.push({ text: piece, tokens: countTokens(piece) });
  }
  return deltas;
}
