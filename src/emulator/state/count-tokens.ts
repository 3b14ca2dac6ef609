// The emulator's tokenizer: words, short digit runs and single punctuation marks each count as
// one token. It is not any model's real tokenizer; it only has to be deterministic, cheap, and
// in the same range as BPE counts (about 1.3 tokens per English word), so that quotas, usage and
// CountTokens agree with each other.
const TOKEN = /[A-Za-z\u00C0-\u024F]{1,12}|\d{1,3}|[^\sA-Za-z\u00C0-\u024F\d]/g;

/** Counts tokens in a text the way the emulator charges them. */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  let count = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.exec(text) !== null) count++;
  return count;
}

/** The prefix of `text` holding its first `limit` tokens. */
export function truncateToTokens(text: string, limit: number): string {
  if (limit <= 0) return "";
  const pattern = new RegExp(TOKEN.source, "g");
  let count = 0;
  let match: RegExpExecArray | null;
  // biome-ignore lint/suspicious/noAssignInExpressions: regex scan
  while ((match = pattern.exec(text)) !== null) {
    count++;
    if (count === limit) return text.slice(0, match.index + match[0].length);
  }
  return text;
}
