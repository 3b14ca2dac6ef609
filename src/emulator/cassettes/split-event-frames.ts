/**
 * Splits a recorded event stream into its frames, so that replay sends them one by one as
 * Bedrock did. Each frame of the AWS event-stream framing starts with its total length (uint32,
 * big-endian) and is at least 16 bytes (prelude and CRCs; Smithy's `eventstream-codec`
 * `splitMessage` reads it the same way). Bytes that do not parse as a frame go out as one last
 * piece, unchanged: replay is byte-exact whatever was recorded.
 */
export function splitEventFrames(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const length = view.getUint32(offset);
    if (length < 16 || offset + length > bytes.length) break;
    frames.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset < bytes.length) frames.push(bytes.subarray(offset));
  return frames;
}
