import { hashString } from "../state/seeded-random.js";

/**
 * A UUID-shaped id derived from the request id and a label, so replies are reproducible run
 * after run (request ids are sequential) while two ids of one reply still differ.
 */
export function responseId(requestId: string, label: string): string {
  const hex = [0, 1, 2, 3]
    .map((part) => hashString(`${label}:${part}:${requestId}`).toString(16).padStart(8, "0"))
    .join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
