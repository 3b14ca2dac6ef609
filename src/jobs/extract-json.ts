/** Where a reply's JSON was found and whether it is whole. */
export interface ExtractedJson {
  /** The candidate's text (from its opening bracket; to its closing one when complete). */
  readonly text: string;
  /** Offset of the candidate in the reply. */
  readonly start: number;
  /** The reply was the JSON itself, a fenced code block held it, or prose surrounded it. */
  readonly source: "whole" | "fence" | "embedded";
  /** False when the reply ends before the value's closing bracket (a cut-off reply). */
  readonly complete: boolean;
  /**
   * For an incomplete candidate, where the cut fell: inside a string, inside a bare literal or
   * number (`tru`, `12` that may have been `125`), or between tokens. Only a cut between tokens
   * can be closed without guessing at a value.
   */
  readonly cut?: "string" | "literal" | "between";
}

/** Options of `extractJson`. */
export interface ExtractJsonOptions {
  /**
   * The kind of value wanted at the root, from the schema: candidates of the other kind are
   * skipped (so that `[see below]` in prose is not taken for an array). @default either
   */
  readonly root?: "object" | "array";
  /** How many embedded candidates to try before giving up. @default 64 */
  readonly maxCandidates?: number;
}

const FENCE = /```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g;

/**
 * Finds the JSON value in a model's reply: the whole reply when it is JSON; else the first
 * ```json (or unlabelled) fenced block holding one; else the first balanced `{...}` or `[...]`
 * in the prose that parses — or, failing that, the first balanced one (for `repairJson` to
 * try); else the first value that is still open when the reply ends (a cut-off reply).
 *
 * Brackets inside strings are not counted, so `{"note": "a } in text"}` is one value.
 * Returns undefined when the reply holds no bracket at all.
 */
export function extractJson(
  reply: string,
  options: ExtractJsonOptions = {},
): ExtractedJson | undefined {
  const wanted = options.root;
  const trimmed = reply.trim();
  if (startsValue(trimmed, wanted) && parses(trimmed))
    return { text: trimmed, start: reply.indexOf(trimmed), source: "whole", complete: true };

  // Code in other languages is blanked out (keeping offsets) before prose is searched, so that
  // a dict in a Python example is not taken for the answer.
  let prose = reply;
  for (const match of reply.matchAll(FENCE)) {
    const language = match[1]!.toLowerCase();
    const body = match[2]!;
    const bodyStart = match.index! + match[0].indexOf(body);
    if (language !== "" && !language.startsWith("json") && language !== "javascript") {
      prose =
        prose.slice(0, bodyStart) + " ".repeat(body.length) + prose.slice(bodyStart + body.length);
      continue;
    }
    const found = findIn(body, wanted, options.maxCandidates, "fence");
    if (found) return { ...found, start: bodyStart + found.start };
  }
  return findIn(prose, wanted, options.maxCandidates, "embedded");
}

function findIn(
  text: string,
  wanted: ExtractJsonOptions["root"],
  maxCandidates = 64,
  source: "fence" | "embedded",
): ExtractedJson | undefined {
  let firstBalanced: ExtractedJson | undefined;
  let firstOpen: ExtractedJson | undefined;
  let tried = 0;
  for (
    let start = nextStart(text, 0, wanted);
    start >= 0;
    start = nextStart(text, start + 1, wanted)
  ) {
    if (tried++ >= maxCandidates) break;
    const scan = scanValue(text, start);
    if (scan.kind === "balanced") {
      const candidate = text.slice(start, scan.end);
      const found: ExtractedJson = { text: candidate, start, source, complete: true };
      if (parses(candidate)) return found;
      firstBalanced ??= found;
    } else if (scan.kind === "open") {
      firstOpen ??= { text: text.slice(start), start, source, complete: false, cut: scan.cut };
    }
  }
  return firstBalanced ?? firstOpen;
}

function nextStart(text: string, from: number, wanted: ExtractJsonOptions["root"]): number {
  if (wanted === "object") return text.indexOf("{", from);
  if (wanted === "array") return text.indexOf("[", from);
  const brace = text.indexOf("{", from);
  const bracket = text.indexOf("[", from);
  if (brace < 0) return bracket;
  if (bracket < 0) return brace;
  return Math.min(brace, bracket);
}

function startsValue(text: string, wanted: ExtractJsonOptions["root"]): boolean {
  const first = text[0];
  return wanted === "object"
    ? first === "{"
    : wanted === "array"
      ? first === "["
      : first === "{" || first === "[";
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

type Scan =
  | { readonly kind: "balanced"; readonly end: number }
  | { readonly kind: "open"; readonly cut: "string" | "literal" | "between" }
  | { readonly kind: "mismatched" };

/**
 * Follows brackets from `start` (an opening bracket) to the matching closer, skipping strings.
 * Single-quoted strings are followed too, since `repairJson` accepts them.
 */
function scanValue(text: string, start: number): Scan {
  const closers: number[] = [];
  let quote = 0;
  let escaped = false;
  for (let index = start; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (quote !== 0) {
      if (escaped) escaped = false;
      else if (code === 92) escaped = true;
      else if (code === quote) quote = 0;
      continue;
    }
    if (code === 34 || (code === 39 && isQuoteStart(text, index))) quote = code;
    else if (code === 123) closers.push(125);
    else if (code === 91) closers.push(93);
    else if (code === 125 || code === 93) {
      if (closers.pop() !== code) return { kind: "mismatched" };
      if (closers.length === 0) return { kind: "balanced", end: index + 1 };
    }
  }
  if (quote !== 0) return { kind: "open", cut: "string" };
  const tail = text.trimEnd();
  const last = tail[tail.length - 1] ?? "";
  return { kind: "open", cut: /[A-Za-z0-9.+-]/.test(last) ? "literal" : "between" };
}

/** A `'` opens a string only where a value or key may start (not in `don't` inside prose). */
function isQuoteStart(text: string, index: number): boolean {
  for (let before = index - 1; before >= 0; before--) {
    const character = text[before]!;
    if (character === " " || character === "\n" || character === "\t" || character === "\r")
      continue;
    return character === "{" || character === "[" || character === "," || character === ":";
  }
  return false;
}
