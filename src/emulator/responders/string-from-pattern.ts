// JSON Schema `pattern` support for the schema sampler: generates a string a regular expression
// matches. It understands the subset that schemas use in practice (literals, escapes, classes,
// groups, alternation, quantifiers, anchors) and refuses the rest (look-arounds, back-references),
// so the caller can fall back rather than emit a string that does not match.

type Node =
  | { readonly kind: "chars"; readonly choices: string }
  | { readonly kind: "group"; readonly alternatives: readonly Node[][] }
  | { readonly kind: "repeat"; readonly node: Node; readonly min: number; readonly max: number };

/** Thrown for a construct the generator does not handle. */
class UnsupportedPattern extends Error {}

const DIGITS = "0123456789";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const WORD = `${LOWER}${UPPER}${DIGITS}_`;
const SPACE = " ";
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");

/** Options for `stringFromPattern`. */
export interface PatternOptions {
  /**
   * Extra repetitions added to every open-ended quantifier, to reach a `minLength`.
   * @default 0
   */
  readonly extraRepeats?: number;
  /** Picks among choices (characters, alternatives); the first choice when absent. */
  readonly pick?: (count: number) => number;
}

/**
 * A string that `new RegExp(pattern, "u")` matches, or undefined when the pattern uses a
 * construct this generator does not support or the result does not match.
 */
export function stringFromPattern(
  pattern: string,
  options: PatternOptions = {},
): string | undefined {
  const extra = options.extraRepeats ?? 0;
  if (!Number.isInteger(extra) || extra < 0) {
    throw new RangeError(
      `stringFromPattern options.extraRepeats must be a non-negative integer, got ${String(extra)}`,
    );
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, "u");
  } catch {
    return undefined;
  }
  try {
    const parser = new PatternParser(pattern);
    const tree = parser.parse();
    const out: string[] = [];
    emit({ kind: "group", alternatives: [tree] }, options, out);
    const text = out.join("");
    return regex.test(text) ? text : undefined;
  } catch (error) {
    if (error instanceof UnsupportedPattern) return undefined;
    throw error;
  }
}

function emit(node: Node, options: PatternOptions, out: string[]): void {
  const pick = options.pick ?? (() => 0);
  switch (node.kind) {
    case "chars":
      out.push(node.choices[pick(node.choices.length) % node.choices.length] ?? "");
      return;
    case "group": {
      const branch = node.alternatives[pick(node.alternatives.length) % node.alternatives.length];
      for (const child of branch ?? []) emit(child, options, out);
      return;
    }
    case "repeat": {
      const extra = Number.isFinite(node.max) ? 0 : (options.extraRepeats ?? 0);
      const count = Math.min(node.max, node.min + extra);
      for (let i = 0; i < count; i++) emit(node.node, options, out);
      return;
    }
  }
}

class PatternParser {
  readonly #source: string;
  #at = 0;

  constructor(source: string) {
    this.#source = source;
  }

  parse(): Node[] {
    const alternatives = this.#alternatives();
    if (this.#at < this.#source.length) throw new UnsupportedPattern("unbalanced parenthesis");
    return alternatives.length === 1 ? alternatives[0]! : [{ kind: "group", alternatives }];
  }

  #alternatives(): Node[][] {
    const alternatives: Node[][] = [this.#sequence()];
    while (this.#peek() === "|") {
      this.#at++;
      alternatives.push(this.#sequence());
    }
    return alternatives;
  }

  #sequence(): Node[] {
    const nodes: Node[] = [];
    for (;;) {
      const char = this.#peek();
      if (char === undefined || char === "|" || char === ")") return nodes;
      const atom = this.#atom();
      if (atom) nodes.push(this.#quantified(atom));
    }
  }

  #atom(): Node | undefined {
    const char = this.#source[this.#at++]!;
    switch (char) {
      case "^":
      case "$":
        return undefined;
      case ".":
        return { kind: "chars", choices: WORD };
      case "(": {
        if (this.#peek() === "?") {
          if (this.#source[this.#at + 1] !== ":") throw new UnsupportedPattern("look-around");
          this.#at += 2;
        }
        const alternatives = this.#alternatives();
        if (this.#source[this.#at++] !== ")") throw new UnsupportedPattern("unclosed group");
        return { kind: "group", alternatives };
      }
      case "[":
        return { kind: "chars", choices: this.#characterClass() };
      case "\\":
        return { kind: "chars", choices: this.#escape(false) };
      case "*":
      case "+":
      case "?":
      case "{":
        throw new UnsupportedPattern("quantifier without an atom");
      default:
        return { kind: "chars", choices: char };
    }
  }

  #quantified(node: Node): Node {
    const char = this.#peek();
    let min: number;
    let max: number;
    if (char === "*") [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (char === "+") [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (char === "?") [min, max] = [0, 1];
    else if (char === "{") {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.#source.slice(this.#at));
      if (!match) return node;
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] ? Number(match[3]) : Number.POSITIVE_INFINITY;
      this.#at += match[0].length - 1;
    } else return node;
    this.#at++;
    if (this.#peek() === "?") this.#at++;
    return { kind: "repeat", node, min, max };
  }

  #characterClass(): string {
    let negate = false;
    if (this.#peek() === "^") {
      negate = true;
      this.#at++;
    }
    let members = "";
    let first = true;
    for (;;) {
      const char = this.#source[this.#at++];
      if (char === undefined) throw new UnsupportedPattern("unclosed class");
      if (char === "]" && !first) break;
      first = false;
      let start = char;
      if (char === "\\") {
        const escaped = this.#escape(true);
        if (escaped.length !== 1) {
          members += escaped;
          continue;
        }
        start = escaped;
      }
      if (
        this.#peek() === "-" &&
        this.#source[this.#at + 1] !== "]" &&
        this.#source[this.#at + 1] !== undefined
      ) {
        this.#at++;
        let end = this.#source[this.#at++]!;
        if (end === "\\") end = this.#escape(true);
        for (let code = start.charCodeAt(0); code <= end.charCodeAt(0); code++)
          members += String.fromCharCode(code);
      } else members += start;
    }
    if (!negate) return members;
    const allowed = [...PRINTABLE].filter((c) => !members.includes(c)).join("");
    if (!allowed) throw new UnsupportedPattern("empty negated class");
    return allowed;
  }

  #escape(inClass: boolean): string {
    const char = this.#source[this.#at++];
    switch (char) {
      case "d":
        return DIGITS;
      case "w":
        return WORD;
      case "s":
        return SPACE;
      case "D":
        return LOWER;
      case "W":
        return "-";
      case "S":
        return WORD;
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "b":
        if (inClass) return "\b";
        throw new UnsupportedPattern("word boundary");
      case "x": {
        const hex = this.#source.slice(this.#at, this.#at + 2);
        this.#at += 2;
        return String.fromCharCode(Number.parseInt(hex, 16));
      }
      case "u": {
        const hex = this.#source.slice(this.#at, this.#at + 4);
        this.#at += 4;
        return String.fromCharCode(Number.parseInt(hex, 16));
      }
      case undefined:
        throw new UnsupportedPattern("trailing backslash");
      default:
        if (/\d/.test(char)) throw new UnsupportedPattern("back-reference");
        return char;
    }
  }

  #peek(): string | undefined {
    return this.#source[this.#at];
  }
}
