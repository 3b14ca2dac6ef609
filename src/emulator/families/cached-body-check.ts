import { type BodyCheck, compileBodySchema } from "./body-schema.js";

const checks = new Map<string, BodyCheck>();

/**
 * A compiled body check for a schema that depends on the model (a maximum, an optional field),
 * compiled once per distinct key: Ajv compilation is far too slow to repeat per request.
 */
export function cachedBodyCheck(key: string, schema: () => object): BodyCheck {
  let check = checks.get(key);
  if (!check) {
    check = compileBodySchema(schema());
    checks.set(key, check);
  }
  return check;
}
