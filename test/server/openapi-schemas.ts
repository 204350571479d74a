/**
 * The official OpenAPI response schemas (test/fixtures/openapi-v1-responses.json,
 * extracted unmodified from docs/reference/openai-openapi-assistants-v1.yaml) as ajv validators, for
 * the conformance and fuzz tests: `validatorFor('RunObject')(json)`, and `operations`
 * (`"GET /threads/{thread_id}"` -> its operationId and response schema name). The Chat
 * Completions schemas of the same spec (test/fixtures/openapi-chat-completions.json) hold
 * the fake upstream of the model tests to the API: `chatValidatorFor('CreateChatCompletionRequest')`.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import spec from '../fixtures/openapi-v1-responses.json' with { type: 'json' };
import chatSpec from '../fixtures/openapi-chat-completions.json' with { type: 'json' };

type Schema = Record<string, unknown>;

/** OpenAPI 3.0's `nullable: true` as JSON Schema: null joins the type (or the enum), or is allowed beside the rest. */
function withNull(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withNull);
  if (node === null || typeof node !== 'object') return node;
  const { nullable, ...rest } = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withNull(v)])) as Schema;
  if (nullable !== true) return rest;
  if (Array.isArray(rest.enum)) rest.enum = [...(rest.enum as unknown[]), null];
  if (typeof rest.type === 'string') return { ...rest, type: [rest.type, 'null'] };
  return { anyOf: [rest, { type: 'null' }] };
}

const schemas = withNull(structuredClone(spec.schemas)) as Record<string, Schema>;

// Two quirks of the spec, as docs/reference/assistants-v1-facts.md records them:
// - these list schemas require an `items` property they do not define (no real answer has one);
for (const name of ['ListAssistantFilesResponse', 'ListMessageFilesResponse']) {
  const schema = schemas[name] as { required: string[] };
  schema.required = schema.required.filter((field) => field !== 'items');
}
// - `first_id`/`last_id` are typed non-null, but the API answers an empty list with nulls.
for (const [name, schema] of Object.entries(schemas)) {
  const properties = (schema as { properties?: Record<string, Schema> }).properties;
  if (name.startsWith('List') && properties?.first_id && properties.last_id) {
    properties.first_id = withNull({ ...properties.first_id, nullable: true }) as Schema;
    properties.last_id = withNull({ ...properties.last_id, nullable: true }) as Schema;
  }
}

/** Validators of the named schemas of one fixture, compiled on first use. */
function validatorsOf(components: Record<string, Schema>): (schemaName: string) => ValidateFunction {
  // Draft-07 validation; the spec's x-oai* keywords are annotations, left alone.
  // `format: uri` (an image part's URL) is not checked: no request or answer here has one.
  const ajv = new Ajv({ strict: false, allErrors: true, formats: { uri: true } });
  ajv.addSchema({ $id: 'spec', components: { schemas: components } });
  const validators = new Map<string, ValidateFunction>();
  return (schemaName) => {
    let validate = validators.get(schemaName);
    if (!validate) {
      validate = ajv.compile({ $ref: `spec#/components/schemas/${schemaName}` });
      validators.set(schemaName, validate);
    }
    return validate;
  };
}

export const validatorFor = validatorsOf(schemas);

export const chatValidatorFor = validatorsOf(withNull(structuredClone(chatSpec.schemas)) as Record<string, Schema>);

export const operations = spec.operations as Record<string, { operationId: string; response: string }>;
