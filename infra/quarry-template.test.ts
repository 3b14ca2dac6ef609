import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { type CollectionTag, parse, type ScalarTag } from "yaml";

// CloudFormation's short-form intrinsics, read as plain objects so the template can be checked.
const INTRINSICS = [
  "Ref",
  "Sub",
  "GetAtt",
  "If",
  "Equals",
  "Not",
  "And",
  "Or",
  "Join",
  "Select",
  "Split",
  "FindInMap",
  "ImportValue",
  "Condition",
  "GetAZs",
  "Base64",
  "Cidr",
];
const customTags: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => {
  const key = name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
  const resolveAs = (value: unknown) => ({
    [key]: name === "GetAtt" && typeof value === "string" ? value.split(".") : value,
  });
  return [
    { tag: `!${name}`, resolve: (value: string) => resolveAs(value) } as ScalarTag,
    {
      tag: `!${name}`,
      collection: "seq",
      resolve: (value: { toJSON(): unknown }) => resolveAs(value.toJSON()),
    } as unknown as CollectionTag,
  ];
});

const PSEUDO = new Set([
  "AWS::AccountId",
  "AWS::Region",
  "AWS::Partition",
  "AWS::StackName",
  "AWS::URLSuffix",
]);

async function template(): Promise<any> {
  return parse(await readFile("infra/quarry.yaml", "utf8"), { customTags });
}

function walk(node: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(node)) for (const item of node) walk(item, visit);
  else if (node !== null && typeof node === "object")
    for (const [key, value] of Object.entries(node)) {
      visit(key, value);
      walk(value, visit);
    }
}

describe("infra/quarry.yaml", () => {
  it("refers only to resources, parameters and conditions it declares", async () => {
    const cfn = await template();
    const names = new Set([
      ...Object.keys(cfn.Resources),
      ...Object.keys(cfn.Parameters),
      ...PSEUDO,
    ]);
    const conditions = new Set(Object.keys(cfn.Conditions));
    const problems: string[] = [];
    walk(cfn, (key, value) => {
      if (key === "Ref" && typeof value === "string" && !names.has(value))
        problems.push(`Ref ${value}`);
      if (key === "Fn::GetAtt" && Array.isArray(value) && !cfn.Resources[value[0]])
        problems.push(`GetAtt ${value[0]}`);
      if (key === "Fn::Sub" && typeof value === "string")
        for (const match of value.matchAll(/\$\{([^}.]+)(?:\.[^}]+)?\}/g))
          if (!names.has(match[1]!)) problems.push(`Sub ${match[1]}`);
      if (key === "Condition" && typeof value === "string" && !conditions.has(value))
        problems.push(`Condition ${value}`);
    });
    expect(problems).toEqual([]);
  });

  it("grants the runtime actions the client calls, and nothing broader", async () => {
    const cfn = await template();
    const statements = cfn.Resources.QuarryRuntimePolicy.Properties.PolicyDocument.Statement;
    const actions = statements.flatMap((s: { Action: string | string[] }) =>
      ([] as string[]).concat(s.Action),
    );
    for (const action of [
      "bedrock:InvokeModel",
      "bedrock:InvokeModelWithResponseStream",
      "bedrock:CountTokens",
      "bedrock:ApplyGuardrail",
    ])
      expect(actions).toContain(action);
    expect(actions.some((action: string) => action.includes("*"))).toBe(false);
  });

  it("lets only Bedrock, for this account's jobs, assume the batch service role", async () => {
    const cfn = await template();
    const trust = cfn.Resources.BatchServiceRole.Properties.AssumeRolePolicyDocument.Statement[0];
    expect(trust.Principal).toEqual({ Service: "bedrock.amazonaws.com" });
    expect(trust.Condition.StringEquals["aws:SourceAccount"]).toEqual({ Ref: "AWS::AccountId" });
    const passRole = cfn.Resources.QuarryBatchPolicy.Properties.PolicyDocument.Statement.find(
      (s: { Sid: string }) => s.Sid === "PassServiceRole",
    );
    expect(passRole.Condition.StringEquals["iam:PassedToService"]).toBe("bedrock.amazonaws.com");
  });

  it("keeps the batch bucket private and encrypted", async () => {
    const bucket = (await template()).Resources.BatchBucket.Properties;
    expect(
      Object.values(bucket.PublicAccessBlockConfiguration).every((value) => value === true),
    ).toBe(true);
    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
        .SSEAlgorithm,
    ).toBe("AES256");
  });

  it("offers a private bedrock-runtime endpoint", async () => {
    const endpoint = (await template()).Resources.BedrockRuntimeEndpoint.Properties;
    expect(endpoint.ServiceName).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation substitution, not a template literal
      "Fn::Sub": "com.amazonaws.${AWS::Region}.bedrock-runtime",
    });
    expect(endpoint.PrivateDnsEnabled).toBe(true);
  });
});
