import type { CodecModel, TextCodec, TextRequest } from "../models/model-codec.js";

const encoder = new TextEncoder();

/**
 * The InvokeModel body for each max tokens an attempt asks for, built once per value: the
 * first build (at the full limit) checks the request before anything is reserved, and retries
 * at the same limit reuse the bytes instead of mapping and serialising again.
 */
export function bodyByMaxTokens(
  codec: TextCodec,
  request: TextRequest,
  model: CodecModel,
  fullMaxTokens: number,
): (maxTokens: number) => Uint8Array {
  const bodies = new Map<number, Uint8Array>();
  const build = (maxTokens: number) => {
    let body = bodies.get(maxTokens);
    if (!body) {
      body = encoder.encode(JSON.stringify(codec.buildRequest({ ...request, maxTokens }, model)));
      bodies.set(maxTokens, body);
    }
    return body;
  };
  build(fullMaxTokens);
  return build;
}
