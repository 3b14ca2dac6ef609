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

/** Decodes a whole buffer of frames; used by tests and the cassette recorder. */
export function decodeEvents(bytes: Uint8Array): Array<{
  headers: Record<string, string>;
  body: string;
}> {
  const decoder = new EventStreamCodec(toUtf8, fromUtf8);
  decoder.feed(bytes);
  decoder.endOfStream();
  const out: Array<{ headers: Record<string, string>; body: string }> = [];
  for (const message of decoder.getAvailableMessages().getMessages()) {
    const headers: Record<string, string> = {};
    for (const [name, header] of Object.entries(message.headers))
      headers[name] = String(header.value);
    out.push({ headers, body: toUtf8(message.body) });
  }
  return out;
}
