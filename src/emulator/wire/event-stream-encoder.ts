import { EventStreamCodec } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";
import type { EmulatorError } from "../emulator-error.js";

// The AWS event-stream framing (prelude, headers, CRC32s) is Smithy's own codec, the same one
// the SDK decodes with; only the choice of headers is ours.
const codec = new EventStreamCodec(toUtf8, fromUtf8);

const stringHeader = (value: string) => ({ type: "string" as const, value });

/** One `:message-type: event` frame with a JSON payload. */
export function encodeEvent(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": stringHeader(eventType),
      ":content-type": stringHeader("application/json"),
      ":message-type": stringHeader("event"),
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** One `:message-type: exception` frame: a modeled error sent after the 200. */
export function encodeException(error: EmulatorError): Uint8Array {
  return codec.encode({
    headers: {
      ":exception-type": stringHeader(error.eventName),
      ":content-type": stringHeader("application/json"),
      ":message-type": stringHeader("exception"),
    },
    body: fromUtf8(JSON.stringify(error.toBody())),
  });
}

/** Splits a buffer of event-stream frames at their length preludes (a torn tail is dropped). */
export function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Uint8Array[] = [];
  for (let at = 0; at + 4 <= bytes.length; ) {
    const length = view.getUint32(at);
    if (length < 16 || at + length > bytes.length) break;
    frames.push(bytes.subarray(at, at + length));
    at += length;
  }
  return frames;
}

/** Decodes a whole buffer of frames (each checked by its CRCs); used by tests and tools. */
export function decodeEvents(bytes: Uint8Array): Array<{
  headers: Record<string, string>;
  body: string;
}> {
  return splitFrames(bytes).map((frame) => {
    const message = codec.decode(frame);
    const headers: Record<string, string> = {};
    for (const [name, header] of Object.entries(message.headers))
      headers[name] = String(header.value);
    return { headers, body: toUtf8(message.body) };
  });
}
