// The Converse request members and their constraints, from the bedrock-runtime service model
// (botocore `bedrock-runtime/2023-09-30/service-2.json`: ConverseRequest, ConverseStreamRequest,
// ConverseTokensRequest).
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
import type { Shape } from "./validate-shape.js";

const text: Shape = { kind: "string" };
const nonEmpty: Shape = { kind: "string", min: 1 };
const document: Shape = { kind: "document" };
const toolName: Shape = { kind: "string", min: 1, max: 64, pattern: /^[a-zA-Z0-9_-]+$/ };
const toolUseId: Shape = { kind: "string", min: 1, max: 64, pattern: /^[a-zA-Z0-9_.:-]+$/ };
const s3Location: Shape = {
  kind: "structure",
  required: ["uri"],
  members: { uri: { kind: "string", min: 1, max: 1024 }, bucketOwner: text },
};
const cachePoint: Shape = {
  kind: "structure",
  required: ["type"],
  members: {
    type: { kind: "string", enum: ["default"] },
    ttl: { kind: "string", enum: ["5m", "1h"] },
  },
};

const image: Shape = {
  kind: "structure",
  required: ["format", "source"],
  members: {
    format: { kind: "string", enum: ["png", "jpeg", "gif", "webp"] },
    source: { kind: "union", members: { bytes: { kind: "blob" }, s3Location } },
  },
};

const documentBlock: Shape = {
  kind: "structure",
  required: ["name", "source"],
  members: {
    format: {
      kind: "string",
      enum: ["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"],
    },
    name: { kind: "string", min: 1, max: 200 },
    source: {
      kind: "union",
      members: { bytes: { kind: "blob" }, s3Location, text, content: { kind: "document" } },
    },
    context: text,
    citations: {
      kind: "structure",
      required: ["enabled"],
      members: { enabled: { kind: "boolean" } },
    },
  },
};

const media = (formats: readonly string[]): Shape => ({
  kind: "structure",
  required: ["format", "source"],
  members: {
    format: { kind: "string", enum: formats },
    source: { kind: "union", members: { bytes: { kind: "blob" }, s3Location } },
  },
});

const guardContent: Shape = {
  kind: "union",
  members: {
    text: {
      kind: "structure",
      required: ["text"],
      members: {
        text,
        qualifiers: {
          kind: "list",
          member: { kind: "string", enum: ["grounding_source", "query", "guard_content"] },
        },
      },
    },
    image: {
      kind: "structure",
      required: ["format", "source"],
      members: {
        format: { kind: "string", enum: ["png", "jpeg"] },
        source: { kind: "union", members: { bytes: { kind: "blob" } } },
      },
    },
  },
};

const toolResultContent: Shape = {
  kind: "union",
  members: {
    json: document,
    text,
    image,
    document: documentBlock,
    video: media(["mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp"]),
    searchResult: document,
  },
};

const contentBlock: Shape = {
  kind: "union",
  members: {
    text,
    image,
    document: documentBlock,
    video: media(["mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp"]),
    audio: media([
      "mp3",
      "opus",
      "wav",
      "aac",
      "flac",
      "mp4",
      "ogg",
      "mkv",
      "mka",
      "x-aac",
      "m4a",
      "mpeg",
      "mpga",
      "pcm",
      "webm",
    ]),
    toolUse: {
      kind: "structure",
      required: ["toolUseId", "name", "input"],
      members: { toolUseId, name: toolName, input: document, type: text },
    },
    toolResult: {
      kind: "structure",
      required: ["toolUseId", "content"],
      members: {
        toolUseId,
        content: { kind: "list", member: toolResultContent },
        status: { kind: "string", enum: ["success", "error"] },
        type: text,
      },
    },
    guardContent,
    cachePoint,
    reasoningContent: document,
    citationsContent: document,
    searchResult: document,
  },
};

/** `messages`: a list of `{role, content}`. */
export const messagesShape: Shape = {
  kind: "list",
  member: {
    kind: "structure",
    required: ["role", "content"],
    members: {
      role: { kind: "string", enum: ["user", "assistant", "system"] },
      content: { kind: "list", member: contentBlock },
    },
  },
};

const systemShape: Shape = {
  kind: "list",
  member: { kind: "union", members: { text: nonEmpty, guardContent, cachePoint } },
};

const toolConfigShape: Shape = {
  kind: "structure",
  required: ["tools"],
  members: {
    tools: {
      kind: "list",
      min: 1,
      member: {
        kind: "union",
        members: {
          toolSpec: {
            kind: "structure",
            required: ["name", "inputSchema"],
            members: {
              name: toolName,
              description: nonEmpty,
              inputSchema: { kind: "union", members: { json: document } },
              strict: { kind: "boolean" },
            },
          },
          systemTool: { kind: "structure", required: ["name"], members: { name: toolName } },
          cachePoint,
        },
      },
    },
    toolChoice: {
      kind: "union",
      members: {
        auto: { kind: "structure", members: {} },
        any: { kind: "structure", members: {} },
        tool: { kind: "structure", required: ["name"], members: { name: toolName } },
      },
    },
  },
};

const guardrailMembers = {
  guardrailIdentifier: {
    kind: "string",
    max: 2048,
    pattern:
      /^(|([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+))$/,
  },
  guardrailVersion: { kind: "string", pattern: /^(|([1-9][0-9]{0,7})|(DRAFT))$/ },
  trace: { kind: "string", enum: ["enabled", "disabled", "enabled_full"] },
} as const satisfies Record<string, Shape>;

function buildConverseRequestShape(streaming: boolean): Shape {
  return {
    kind: "structure",
    members: {
      messages: messagesShape,
      system: systemShape,
      inferenceConfig: {
        kind: "structure",
        members: {
          maxTokens: { kind: "integer", min: 1 },
          temperature: { kind: "float", min: 0, max: 1 },
          topP: { kind: "float", min: 0, max: 1 },
          stopSequences: { kind: "list", min: 0, max: 2500, member: nonEmpty },
        },
      },
      toolConfig: toolConfigShape,
      guardrailConfig: {
        kind: "structure",
        members: streaming
          ? {
              ...guardrailMembers,
              streamProcessingMode: { kind: "string", enum: ["sync", "async"] },
            }
          : guardrailMembers,
      },
      additionalModelRequestFields: document,
      promptVariables: {
        kind: "map",
        value: { kind: "union", members: { text } },
      },
      additionalModelResponseFieldPaths: {
        kind: "list",
        min: 0,
        max: 10,
        member: { kind: "string", min: 1, max: 256 },
      },
      requestMetadata: {
        kind: "map",
        min: 1,
        max: 16,
        value: { kind: "string", max: 256, pattern: /^[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}$/ },
      },
      performanceConfig: {
        kind: "structure",
        members: { latency: { kind: "string", enum: ["standard", "optimized"] } },
      },
      serviceTier: {
        kind: "structure",
        required: ["type"],
        members: { type: { kind: "string", enum: ["priority", "default", "flex", "reserved"] } },
      },
      outputConfig: {
        kind: "structure",
        members: {
          textFormat: {
            kind: "structure",
            required: ["type", "structure"],
            members: {
              type: { kind: "string", enum: ["json_schema"] },
              structure: {
                kind: "union",
                members: {
                  jsonSchema: {
                    kind: "structure",
                    required: ["schema"],
                    members: { schema: text, name: text, description: text },
                  },
                },
              },
            },
          },
          effort: { kind: "string", min: 0, max: 16 },
        },
      },
    },
  };
}

/** The Converse request body. */
export const converseRequestShape: Shape = buildConverseRequestShape(false);
/** The ConverseStream request body (adds `guardrailConfig.streamProcessingMode`). */
export const converseStreamRequestShape: Shape = buildConverseRequestShape(true);

/** The CountTokens request body. */
export const countTokensRequestShape: Shape = {
  kind: "structure",
  required: ["input"],
  members: {
    input: {
      kind: "union",
      members: {
        invokeModel: {
          kind: "structure",
          required: ["body"],
          members: { body: { kind: "blob" } },
        },
        converse: {
          kind: "structure",
          members: {
            messages: messagesShape,
            system: systemShape,
            toolConfig: toolConfigShape,
            additionalModelRequestFields: document,
          },
        },
      },
    },
  },
};
