// The emulator's tokenizer: words, short digit runs and single punctuation marks each count as
// one token. It is not any model's real tokenizer; it only has to be deterministic, cheap, and
// in the same range as BPE counts (about 1.3 tokens per English word), so that quotas, usage and
// CountTokens agree with each other.
//
// The rule, as a regular expression (kept in the tests as the reference the scanner must match):
//   /[A-Za-z\u00C0-\u024F]{1,12}|\d{1,3}|[^\sA-Za-z\u00C0-\u024F\d]/g
// that is: a run of L Latin letters is ceil(L / 12) tokens, a run of D ASCII digits is
// ceil(D / 3) tokens, whitespace is free, and every other UTF-16 code unit is one token.
// Every request counts its prompt and its reply, so this runs on the emulator's hot path: a
// hand-written scan over char codes is several times faster than running the regex.

const LETTERS_PER_TOKEN = 12;
const DIGITS_PER_TOKEN = 3;

/** A Latin letter, as the rule counts them: A-Z, a-z and U+00C0-U+024F. */
function isLetter(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 0xc0 && code <= 0x24f)
  );
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Whitespace as JavaScript's `\s` defines it. */
function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * Scans `text` until `limit` tokens have been seen; returns how many were seen and where the
 * last of them ends.
 */
function scan(text: string, limit: number): { tokens: number; end: number } {
  let tokens = 0;
  let end = 0;
  let i = 0;
  const length = text.length;
  while (i < length && tokens < limit) {
    const code = text.charCodeAt(i);
    if (isLetter(code) || isDigit(code)) {
      const letters = isLetter(code);
      const perToken = letters ? LETTERS_PER_TOKEN : DIGITS_PER_TOKEN;
      let run = 1;
      while (i + run < length) {
        const next = text.charCodeAt(i + run);
        if (letters ? !isLetter(next) : !isDigit(next)) break;
        run++;
      }
      const runTokens = Math.ceil(run / perToken);
      if (tokens + runTokens > limit) {
        // The limit falls inside this run: stop after the chunk that reaches it.
        end = i + (limit - tokens) * perToken;
        tokens = limit;
        break;
      }
      tokens += runTokens;
      i += run;
      end = i;
    } else if (isSpace(code)) {
      i++;
    } else {
      tokens++;
      i++;
      end = i;
    }
  }
  return { tokens, end };
}

/** Counts tokens in a text the way the emulator charges them. */
export function countTokens(text: string): number {
  let count = 0;
  let i = 0;
  const length = text.length;
  // The same rule as `scan`, without the limit bookkeeping: this is the hot one.
  while (i < length) {
    const code = text.charCodeAt(i);
    if (isLetter(code)) {
      let run = 1;
      while (i + run < length && isLetter(text.charCodeAt(i + run))) run++;
      count += Math.ceil(run / LETTERS_PER_TOKEN);
      i += run;
    } else if (isDigit(code)) {
      let run = 1;
      while (i + run < length && isDigit(text.charCodeAt(i + run))) run++;
      count += Math.ceil(run / DIGITS_PER_TOKEN);
      i += run;
    } else {
      if (!isSpace(code)) count++;
      i++;
    }
  }
  return count;
}

/** The prefix of `text` holding its first `limit` tokens. */
export function truncateToTokens(text: string, limit: number): string {
  if (limit <= 0) return "";
  const { tokens, end } = scan(text, limit);
  return tokens < limit ? text : text.slice(0, end);
}
