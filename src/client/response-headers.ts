import type {
  BedrockRuntimeClient,
  ServiceInputTypes,
  ServiceOutputTypes,
} from "@aws-sdk/client-bedrock-runtime";
import type { Pluggable } from "@smithy/types";
import type { ResponseHeaders } from "../models/model-codec.js";

// Bedrock reports token usage of InvokeModel in headers the service model does not declare
// (`X-Amzn-Bedrock-Input-Token-Count`, ...; bedrock-facts §2.2), so the SDK drops them. A
// middleware above the deserializer sees the raw response and remembers its headers per output.
const headersByOutput = new WeakMap<object, ResponseHeaders>();

const MIDDLEWARE_NAME = "quarryResponseHeaders";

/** A plugin that keeps each response's raw headers, readable with `responseHeadersOf(output)`. */
export const captureResponseHeaders: Pluggable<object, object> = {
  applyToStack(stack) {
    stack.add(
      (next) => async (args) => {
        const result = await next(args);
        const response = result.response as { headers?: Record<string, string> } | undefined;
        const output = result.output as object | undefined;
        if (output && typeof output === "object" && response?.headers)
          headersByOutput.set(output, response.headers);
        return result;
      },
      { step: "initialize", name: MIDDLEWARE_NAME, override: true },
    );
  },
};

/** Installs the plugin once on a client. */
export function installResponseHeaders(client: BedrockRuntimeClient): void {
  client.middlewareStack.use(
    captureResponseHeaders as Pluggable<ServiceInputTypes, ServiceOutputTypes>,
  );
}

/** The raw response headers of an SDK command's output (lower-case names), or `{}`. */
export function responseHeadersOf(output: object): ResponseHeaders {
  return headersByOutput.get(output) ?? {};
}

/** A header as a number, when present and numeric. */
export function numericHeader(headers: ResponseHeaders, name: string): number | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== lower || value === undefined) continue;
    const number = Number(Array.isArray(value) ? value[0] : value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}
