import { jsonrepair } from "jsonrepair";
import type { ExtractedJson } from "./extract-json.js";

/** What `repairJson` made of a candidate. */
export type RepairOutcome =
  | { readonly ok: true; readonly value: unknown; readonly repaired: boolean }
  | {
      readonly ok: false;
      /** `truncated`: cut off inside a value; `invalid`: not JSON even after repair. */
      readonly kind: "truncated" | "invalid";
      readonly message: string;
    };

/**
 * Parses an extracted candidate, repairing it only where the repair cannot invent data:
 * trailing commas, single quotes, unquoted keys, comments, Python's `None`/`True`/`False`
 * (all by `jsonrepair`), and a cut-off tail when the cut fell between tokens (the open brackets
 * are closed; a dangling key becomes null and a dropped required field is caught by validation).
 *
 * A reply cut off inside a string or a number is refused, not repaired: closing
 * `"flower": "Cherokee Ro` would give a well-formed, schema-valid, wrong value.
 */
export function repairJson(candidate: ExtractedJson): RepairOutcome {
  if (candidate.complete) {
    try {
      return { ok: true, value: JSON.parse(candidate.text), repaired: false };
    } catch (error) {
      return repairWith(candidate.text, (error as Error).message);
    }
  }
  if (candidate.cut === "string" || candidate.cut === "literal") {
    return {
      ok: false,
      kind: "truncated",
      message: `the reply was cut off inside a ${candidate.cut === "string" ? "string" : "value"}, so the JSON is incomplete`,
    };
  }
  return repairWith(candidate.text, "the reply was cut off before the JSON was closed");
}

function repairWith(text: string, parseMessage: string): RepairOutcome {
  let repairedText: string;
  try {
    repairedText = jsonrepair(text);
  } catch {
    return { ok: false, kind: "invalid", message: `the JSON is not valid (${parseMessage})` };
  }
  try {
    return { ok: true, value: JSON.parse(repairedText), repaired: true };
  } catch {
    return { ok: false, kind: "invalid", message: `the JSON is not valid (${parseMessage})` };
  }
}
