/** Hand-built Plan fixtures for the renderer tests. */
import type { JsonValue } from '../../src/json.js';
import { withPlanHash } from '../../src/plan/plan-hash.js';
import { PLAN_FORMAT_VERSION, type AssistantChange, type AssistantView, type FieldChange, type FileChange, type Plan } from '../../src/plan/types.js';
import { planSummary } from '../../src/plan/planner.js';

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);
export const SHA_C = 'c'.repeat(64);

export function view(overrides: Partial<AssistantView> = {}): AssistantView {
  return {
    model: 'gpt-4o',
    name: 'Support',
    description: null,
    instructions: 'You help customers.',
    tools: [],
    files: [],
    metadata: {},
    ...overrides,
  };
}

/** A plan with the given changes; the summary is counted from them unless given. */
export function plan(overrides: Partial<Plan> = {}): Plan {
  const assistants = overrides.assistants ?? [];
  const files = overrides.files ?? [];
  const { planHash: _given, ...rest } = overrides;
  return withPlanHash({
    formatVersion: PLAN_FORMAT_VERSION,
    toolVersion: '0.1.0',
    createdAt: '2026-01-02T03:04:05.000Z',
    mode: 'normal',
    manifest: 'infra/assistants.yaml',
    project: 'shop',
    environment: 'prod',
    endpoint: 'http://127.0.0.1:4010/v1',
    targets: [],
    notes: [],
    prior: { manifestHash: SHA_C, lineage: 'lin-1', serial: 3, liveFingerprints: {} },
    ...rest,
    files,
    assistants,
    summary: overrides.summary ?? planSummary(assistants, files),
  });
}

export function create(key: string, after: AssistantView = view()): AssistantChange {
  return { key, action: 'create', reason: 'new', id: null, before: null, after, changes: [], ignored: [], sensitive: [] };
}

export function destroy(key: string, id: string, reason: AssistantChange['reason'] = 'removed-from-manifest'): AssistantChange {
  return { key, action: 'delete', reason, id, before: view(), after: null, changes: [], ignored: [], sensitive: [] };
}

export function noop(key: string, id: string, overrides: Partial<AssistantChange> = {}): AssistantChange {
  return { key, action: 'no-op', reason: 'unchanged', id, before: view(), after: view(), changes: [], ignored: [], sensitive: [], ...overrides };
}

/** An update whose before/after views follow from the field changes. */
export function update(
  key: string,
  id: string,
  changes: FieldChange[],
  reason: AssistantChange['reason'] = 'changed-in-manifest',
  ignored: AssistantChange['ignored'] = [],
): AssistantChange {
  const before: Record<string, JsonValue> = { ...view() };
  const after: Record<string, JsonValue> = { ...view() };
  for (const c of changes) {
    before[c.field] = c.before;
    after[c.field] = c.after;
  }
  return {
    key,
    action: 'update',
    reason,
    id,
    before: before as unknown as AssistantView,
    after: after as unknown as AssistantView,
    changes,
    ignored,
    sensitive: [],
  };
}

export function field(
  name: FieldChange['field'],
  before: JsonValue,
  after: JsonValue,
  cause: FieldChange['cause'] = 'manifest',
): FieldChange {
  return { field: name, before, after, cause };
}

export function file(name: string, overrides: Partial<FileChange> = {}): FileChange {
  return {
    name,
    action: 'upload',
    reason: 'new',
    id: null,
    path: `docs/${name}.md`,
    filename: `${name}.md`,
    bytes: 1024,
    sha256: SHA_A,
    previousSha256: null,
    ...overrides,
  };
}

export function fn(name: string, parameters: JsonValue, description = `Does ${name}.`): JsonValue {
  return { type: 'function', function: { name, description, parameters } };
}
