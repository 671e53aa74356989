import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

interface JsonSchema {
  $ref?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** Every property of `schema` (and of the objects inside it) that says nothing of itself. */
function undescribed(schema: JsonSchema | undefined, where: string): string[] {
  if (!schema || typeof schema !== 'object' || schema.$ref) return [];
  const found: string[] = [];
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) found.push(...undescribed(branch, where));
  found.push(...undescribed(schema.items, `${where}[]`));
  if (typeof schema.additionalProperties === 'object') found.push(...undescribed(schema.additionalProperties, `${where}{}`));
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    // A $ref names a component, described on its own (OpenAPI 3.0 allows nothing beside a $ref).
    if (!property.description && !property.$ref) found.push(`${where}.${name}`);
    found.push(...undescribed(property, `${where}.${name}`));
  }
  return found;
}

/** The OpenAPI document is the published contract: every field an answer carries says what it is. */
describe('the OpenAPI document', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
  });
  afterAll(async () => cp?.close());

  it('describes every field of every answer, bytesWritten included', async () => {
    const document = (await call(cp.app, 'GET', '/openapi.json')).body as {
      components: { schemas: Record<string, JsonSchema> };
      paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>>;
    };
    const missing = Object.entries(document.components.schemas).flatMap(([name, schema]) => undescribed(schema, name));
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          for (const content of Object.values(response.content ?? {})) missing.push(...undescribed(content.schema, `${method.toUpperCase()} ${path} ${status}`));
        }
      }
    }
    expect(missing).toEqual([]);
    expect(document.components.schemas.Backup?.properties?.bytesWritten?.description).toMatch(/written so far/);
  });
});
