// The ApplyGuardrail request members and their constraints, from the bedrock-runtime service
// model (botocore `ApplyGuardrailRequest`).
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ApplyGuardrail.html
import type { Shape } from "../converse/validate-shape.js";

const text: Shape = { kind: "string" };

/** The ApplyGuardrail request body. */
export const applyGuardrailRequestShape: Shape = {
  kind: "structure",
  required: ["source", "content"],
  members: {
    source: { kind: "string", enum: ["INPUT", "OUTPUT"] },
    content: {
      kind: "list",
      member: {
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
      },
    },
    outputScope: { kind: "string", enum: ["INTERVENTIONS", "FULL"] },
  },
};
