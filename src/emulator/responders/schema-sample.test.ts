import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { sampleFromSchema } from "./schema-sample.js";
import { stringFromPattern } from "./string-from-pattern.js";

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv;

const draft7 = addFormats(new Ajv({ allErrors: true, strict: false }));
const draft2020 = addFormats(new Ajv2020({ allErrors: true, strict: false }) as unknown as Ajv);

function expectValid(schema: object, seeds = [0, 1, 7, 12345], validator = draft7) {
  const validate = validator.compile(schema);
  for (const seed of seeds) {
    const value = sampleFromSchema(schema, { seed });
    const ok = validate(value);
    if (!ok)
      throw new Error(
        `seed ${seed}: ${JSON.stringify(value)} ${validator.errorsText(validate.errors)}`,
      );
  }
}

describe("sampleFromSchema", () => {
  it("fills every property of the AWS docs' top_song tool schema", () => {
    // https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html
    const schema = {
      type: "object",
      properties: {
        sign: {
          type: "string",
          description:
            "The call sign for the radio station for which you want the most popular song.",
        },
      },
      required: ["sign"],
    };
    expectValid(schema);
    expect(typeof (sampleFromSchema(schema) as { sign: unknown }).sign).toBe("string");
  });

  it("honours types, enum, const, numeric bounds and multipleOf", () => {
    expectValid({
      type: "object",
      required: ["unit", "count", "ratio", "kind", "flag", "nothing", "even", "score"],
      properties: {
        unit: { enum: ["celsius", "fahrenheit"] },
        kind: { const: "weather" },
        count: { type: "integer", minimum: 3, maximum: 5 },
        ratio: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
        flag: { type: "boolean" },
        nothing: { type: "null" },
        even: { type: "integer", multipleOf: 2, minimum: 7 },
        score: { type: "number", multipleOf: 0.25, maximum: -3 },
      },
      additionalProperties: false,
    });
  });

  it("honours string lengths, formats and patterns", () => {
    expectValid({
      type: "object",
      required: [
        "day",
        "at",
        "mail",
        "link",
        "id",
        "code",
        "short",
        "long",
        "zip",
        "phone",
        "host",
        "ip",
      ],
      properties: {
        day: { type: "string", format: "date" },
        at: { type: "string", format: "date-time" },
        mail: { type: "string", format: "email" },
        link: { type: "string", format: "uri" },
        id: { type: "string", format: "uuid" },
        code: { type: "string", pattern: "^[A-Z]{3}-\\d{4}$" },
        short: { type: "string", maxLength: 3 },
        long: { type: "string", minLength: 40 },
        zip: { type: "string", pattern: "^\\d{5}(-\\d{4})?$" },
        phone: { type: "string", pattern: "^\\+?[0-9 ()-]{7,15}$" },
        host: { type: "string", format: "hostname" },
        ip: { type: "string", format: "ipv4" },
      },
    });
  });

  it("builds nested objects and arrays with minItems, maxItems and uniqueItems", () => {
    expectValid({
      type: "object",
      required: ["orders"],
      properties: {
        orders: {
          type: "array",
          minItems: 3,
          maxItems: 5,
          items: {
            type: "object",
            required: ["sku", "quantity", "tags"],
            properties: {
              sku: { type: "string", pattern: "^SKU[0-9]{6}$" },
              quantity: { type: "integer", minimum: 1 },
              tags: { type: "array", items: { type: "string" }, uniqueItems: true, minItems: 2 },
            },
          },
        },
        colours: {
          type: "array",
          items: { enum: ["red", "green", "blue"] },
          minItems: 3,
          uniqueItems: true,
        },
      },
    });
  });

  it("resolves $ref into $defs and definitions, including a recursive tree", () => {
    expectValid({
      type: "object",
      required: ["root", "owner"],
      properties: {
        root: { $ref: "#/$defs/node" },
        owner: { $ref: "#/definitions/person" },
      },
      $defs: {
        node: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string" },
            children: { type: "array", items: { $ref: "#/$defs/node" } },
          },
        },
      },
      definitions: {
        person: {
          type: "object",
          required: ["email"],
          properties: { email: { type: "string", format: "email" } },
        },
      },
    });
  });

  it("handles allOf, anyOf, oneOf and nullable type lists", () => {
    expectValid({
      type: "object",
      required: ["a", "b", "c", "d"],
      properties: {
        a: {
          allOf: [
            { type: "object", properties: { x: { type: "integer" } }, required: ["x"] },
            { required: ["y"], properties: { y: { type: "string" } } },
          ],
        },
        b: { anyOf: [{ type: "null" }, { type: "string", minLength: 2 }] },
        c: { oneOf: [{ type: "integer", minimum: 10 }, { type: "string" }] },
        d: { type: ["null", "number"], minimum: 1 },
      },
    });
    const value = sampleFromSchema({
      type: "object",
      required: ["b"],
      properties: { b: { anyOf: [{ type: "null" }, { type: "string" }] } },
    }) as { b: unknown };
    expect(typeof value.b).toBe("string");
  });

  it("supports 2020-12 tuples with prefixItems", () => {
    expectValid(
      {
        type: "object",
        required: ["point"],
        properties: {
          point: {
            type: "array",
            prefixItems: [{ type: "number" }, { type: "number" }],
            items: false,
          },
        },
      },
      [0, 3],
      draft2020,
    );
  });

  it("is deterministic per seed and varies between seeds", () => {
    const schema = { type: "object", required: ["city"], properties: { city: { type: "string" } } };
    expect(sampleFromSchema(schema, { seed: 5 })).toEqual(sampleFromSchema(schema, { seed: 5 }));
    const cities = new Set(
      [1, 2, 3, 4, 5, 6].map((seed) => JSON.stringify(sampleFromSchema(schema, { seed }))),
    );
    expect(cities.size).toBeGreaterThan(1);
  });

  it("answers an empty schema at the top with an object", () => {
    expect(sampleFromSchema({})).toEqual({});
    expect(sampleFromSchema(true)).toEqual({});
  });

  it("rejects a bad maxDepth, naming the option", () => {
    expect(() => sampleFromSchema({}, { maxDepth: -1 })).toThrow(/options\.maxDepth.*-1/);
  });
});

describe("stringFromPattern", () => {
  it("generates matching strings for common schema patterns", () => {
    for (const pattern of [
      "^[a-z]+$",
      "^\\d{3}-\\d{2}-\\d{4}$",
      "^(yes|no)$",
      "^[A-Z][a-z]*( [A-Z][a-z]*)*$",
      "[^@\\s]+@[^@\\s]+\\.[a-z]{2,}",
      "^#[0-9a-fA-F]{6}$",
      "^v\\d+\\.\\d+\\.\\d+(-[a-z0-9.]+)?$",
    ]) {
      const text = stringFromPattern(pattern);
      expect(text, pattern).toBeDefined();
      expect(new RegExp(pattern, "u").test(text!), `${pattern} → ${text}`).toBe(true);
    }
  });

  it("rejects a bad extraRepeats, naming the option", () => {
    expect(() => stringFromPattern("^a+$", { extraRepeats: 1.5 })).toThrow(
      /options\.extraRepeats.*1\.5/,
    );
  });

  it("gives up on look-arounds and back-references instead of guessing", () => {
    expect(stringFromPattern("^(?=.*\\d)[a-z\\d]{8}$")).toBeUndefined();
    expect(stringFromPattern("^(a)\\1$")).toBeUndefined();
  });
});
