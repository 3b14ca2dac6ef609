// Meta Llama 3 / 3.1 / 3.2 / 3.3 / 4 Instruct on InvokeModel / InvokeModelWithResponseStream.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import { invocationMetricsPayload } from "./invocation-metrics-payload.js";
import type {
  Generation,
  RenderContext,
  StreamChunk,
  TextCall,
  TextDialect,
  Turn,
} from "./invocation-types.js";
import { splitIntoDeltas } from "./split-deltas.js";

function schemaFor(model: CatalogModel, images: boolean): object {
  return {
    type: "object",
    required: ["prompt"],
    additionalProperties: false,
    properties: {
      prompt: { type: "string" },
      temperature: { type: "number", minimum: 0, maximum: 1 },
      top_p: { type: "number", minimum: 0, maximum: 1 },
      max_gen_len: { type: "integer", minimum: 1, maximum: model.maxOutputTokens },
      // Llama 3.2 and later vision models take base64 images beside the prompt.
      ...(images ? { images: { type: "array", items: { type: "string" } } } : {}),
    },
  };
}

/** A Llama prompt taken apart: the system prompt and the turns between the template tokens. */
export interface LlamaPrompt {
  readonly system: string;
  readonly turns: readonly { readonly role: "user" | "assistant"; readonly text: string }[];
}

const HEADER = /<\|start_header_id\|>\s*([a-z_]+)\s*<\|end_header_id\|>/g;
const SPECIAL = /<\|(?:begin_of_text|end_of_text|eot_id|eom_id|image|python_tag)\|>/g;

/**
 * Reads the Llama 3 chat template (`<|start_header_id|>user<|end_header_id|> ... <|eot_id|>`)
 * back into turns, so responders see the user's words rather than template tokens. A prompt
 * without the template is one user turn. The empty assistant header that ends a prompt (where
 * the model is to write) is not a turn.
 */
export function parseLlamaPrompt(prompt: string): LlamaPrompt {
  const headers = [...prompt.matchAll(HEADER)];
  if (headers.length === 0) {
    return { system: "", turns: [{ role: "user", text: clean(prompt) }] };
  }
  const systemParts: string[] = [];
  const turns: { role: "user" | "assistant"; text: string }[] = [];
  headers.forEach((header, i) => {
    const start = header.index! + header[0].length;
    const end = i + 1 < headers.length ? headers[i + 1]!.index! : prompt.length;
    const text = clean(prompt.slice(start, end));
    const role = header[1]!;
    if (role === "system") {
      if (text) systemParts.push(text);
    } else if (role === "assistant") {
      if (text || i + 1 < headers.length) turns.push({ role: "assistant", text });
    } else {
      // `user`, and `ipython` / `tool` results, are what the model reads as input.
      turns.push({ role: "user", text });
    }
  });
  return { system: systemParts.join("\n"), turns };
}

function clean(text: string): string {
  return text.replace(SPECIAL, "").trim();
}

/** Meta Llama's InvokeModel body: a templated `prompt`. */
export const llama: TextDialect = {
  output: "text",

  parseRequest(body, model): TextCall {
    const images = model.inputModalities.includes("IMAGE");
    cachedBodyCheck(`llama:${model.maxOutputTokens}:${images}`, () => schemaFor(model, images))(
      body,
    );
    const request = body as {
      prompt: string;
      temperature?: number;
      max_gen_len?: number;
      images?: string[];
    };
    const parsed = parseLlamaPrompt(request.prompt);
    const turns: Turn[] = parsed.turns.map((turn) => ({
      role: turn.role,
      text: turn.text,
      toolCalls: [],
      toolResults: [],
    }));
    return {
      kind: "text",
      system: parsed.system,
      turns,
      promptText: [parsed.system, ...parsed.turns.map((turn) => turn.text)]
        .filter(Boolean)
        .join("\n"),
      maxTokens: request.max_gen_len ?? model.defaultMaxTokens,
      stopSequences: [],
      tools: [],
      toolChoice: { type: "none" },
      imageCount: request.images?.length ?? 0,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };
  },

  renderResponse(generation: Generation) {
    return {
      generation: generation.text,
      prompt_token_count: generation.inputTokens,
      generation_token_count: generation.outputTokens,
      stop_reason: stopReasonOf(generation),
    };
  },

  renderStream(generation: Generation, context: RenderContext): StreamChunk[] {
    const chunks: StreamChunk[] = [];
    let generated = 0;
    for (const delta of splitIntoDeltas(generation.text)) {
      generated += delta.tokens;
      chunks.push({
        outputTokens: delta.tokens,
        payload: {
          generation: delta.text,
          prompt_token_count: chunks.length === 0 ? generation.inputTokens : null,
          generation_token_count: generated,
          stop_reason: null,
        },
      });
    }
    chunks.push({
      outputTokens: 0,
      final: true,
      payload: {
        generation: "",
        prompt_token_count: chunks.length === 0 ? generation.inputTokens : null,
        generation_token_count: generation.outputTokens,
        stop_reason: stopReasonOf(generation),
        "amazon-bedrock-invocationMetrics": invocationMetricsPayload(context.metrics),
      },
    });
    return chunks;
  },
};

function stopReasonOf(generation: Generation): "stop" | "length" {
  return generation.stopReason === "max_tokens" ? "length" : "stop";
}
