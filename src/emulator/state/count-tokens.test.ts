import { describe, expect, it } from "vitest";
import { countTokens, truncateToTokens } from "./count-tokens.js";
import { SeededRandom } from "./seeded-random.js";

// The rule the scanner implements, as a regular expression: the reference it must agree with.
const RULE = /[A-Za-z\u00C0-\u024F]{1,12}|\d{1,3}|[^\sA-Za-z\u00C0-\u024F\d]/g;

function referenceCount(text: string): number {
  return text.match(RULE)?.length ?? 0;
}

function referenceTruncate(text: string, limit: number): string {
  if (limit <= 0) return "";
  let count = 0;
  for (const match of text.matchAll(RULE)) {
    if (++count === limit) return text.slice(0, match.index + match[0].length);
  }
  return text;
}

// Characters from every class the rule tells apart, including the edges of each range,
// Unicode spaces, and astral characters (two UTF-16 code units each).
const ALPHABET = [
  ..."aZmAz09 5\t\n\r\v\f.,;:!?{}[]\"'-_/\\",
  "\u00bf",
  "\u00c0",
  "\u00e9",
  "\u024f",
  "\u0250",
  "\u00a0",
  "\u1680",
  "\u2000",
  "\u200a",
  "\u200b",
  "\u2028",
  "\u202f",
  "\u3000",
  "\ufeff",
  "\u4e2d",
  "\u{1f600}",
];

function randomText(random: SeededRandom): string {
  let text = "";
  const length = random.int(0, 60);
  while (text.length < length) {
    // Long runs too, so that the 12-letter and 3-digit chunking is exercised.
    const piece = ALPHABET[random.int(0, ALPHABET.length - 1)]!;
    text += random.chance(0.2) ? piece.repeat(random.int(2, 30)) : piece;
  }
  return text;
}

describe("countTokens", () => {
  it("counts words, digit runs and punctuation", () => {
    expect(countTokens("")).toBe(0);
    expect(countTokens("Hello, world!")).toBe(4);
    // "2024" is two digit runs (202, 4), "12345" two (123, 45).
    expect(countTokens("In 2024 there were 12345 rows.")).toBe(9);
    expect(countTokens("internationalization")).toBe(2);
    expect(countTokens('{"state": "Alabama"}')).toBe(9);
    expect(countTokens("café naïve")).toBe(2);
  });

  it("agrees with the reference rule on random text", () => {
    const random = new SeededRandom(2024);
    for (let i = 0; i < 5_000; i++) {
      const text = randomText(random);
      if (countTokens(text) !== referenceCount(text)) {
        expect({ text, count: countTokens(text) }).toEqual({ text, count: referenceCount(text) });
      }
    }
  });
});

describe("truncateToTokens", () => {
  it("keeps the first tokens, whole, and drops what follows the last", () => {
    expect(truncateToTokens("one two three", 2)).toBe("one two");
    expect(truncateToTokens("one two three", 0)).toBe("");
    expect(truncateToTokens("one two", 5)).toBe("one two");
    expect(truncateToTokens("abcdefghijklmnopqrstuvwxyz", 2)).toBe("abcdefghijklmnopqrstuvwx");
    expect(truncateToTokens("1234567", 2)).toBe("123456");
  });

  it("agrees with the reference rule on random text and limits", () => {
    const random = new SeededRandom(7);
    for (let i = 0; i < 5_000; i++) {
      const text = randomText(random);
      const limit = random.int(0, 20);
      const actual = truncateToTokens(text, limit);
      if (actual !== referenceTruncate(text, limit)) {
        expect({ text, limit, actual }).toEqual({
          text,
          limit,
          actual: referenceTruncate(text, limit),
        });
      }
      expect(countTokens(actual)).toBe(Math.min(limit, countTokens(text)));
    }
  });
});
