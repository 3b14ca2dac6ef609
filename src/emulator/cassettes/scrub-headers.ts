/**
 * Response headers a cassette never keeps: anything that could carry a credential or a
 * signature, cookies, and the framing headers that belong to one connection (HTTP/2 forbids
 * them, and the emulator sets its own length).
 */
const DROPPED = new Set([
  "authorization",
  "proxy-authorization",
  "x-amz-security-token",
  "x-amz-date",
  "x-amz-content-sha256",
  "cookie",
  "set-cookie",
  "set-cookie2",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "date",
]);

/** Names that mention a signature or credential in any form (`x-amz-signature`, ...). */
const SECRET_LOOKING = /authoriz|signature|credential|security-token|session-token|secret|cookie/i;

/** Keeps the headers worth replaying, with lower-case names; request ids may stay. */
export function scrubHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || name.startsWith(":")) continue;
    if (DROPPED.has(name) || SECRET_LOOKING.test(name)) continue;
    kept[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return kept;
}
