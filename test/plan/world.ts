/**
 * Builders for planner tests: a desired manifest, the live account and a state file
 * whose `applied` hashes are what the applier records (`fieldHashes(liveView(...))`).
 */
import type { AssistantObject, AssistantTool, OpenAIFile } from '../../src/api/models.js';
import type { AssistantSpec, DesiredAssistant, DesiredFile, DesiredState, Lifecycle } from '../../src/manifest/types.js';
import { promotableContent } from '../../src/manifest/promotable.js';
import { sha256Hex } from '../../src/plan/hash.js';
import { OWNERSHIP_METADATA_KEY } from '../../src/plan/ownership.js';
import { createPlan, type LiveState, type PlanInput } from '../../src/plan/planner.js';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Plan } from '../../src/plan/types.js';
import { STATE_FORMAT_VERSION } from '../../src/state/types.js';
import { fieldHashes, fileLabel, fileLabelsById, liveView } from '../../src/plan/view.js';
import type { AssistantRecord, FileRecord, StateFile } from '../../src/state/types.js';

export const PROJECT = 'shop';
export const ENV = 'prod';
export const AT = '2026-01-02T03:04:05.000Z';
export const MANIFEST = '/repo/assistants.yaml';
export const MANIFEST_HASH = sha256Hex('manifest');

export function tag(key: string, project = PROJECT, environment = ENV): Record<string, string> {
  return { [OWNERSHIP_METADATA_KEY]: `${project}/${environment}/${key}` };
}

export function desiredFile(name: string, content = `${name} v1`): DesiredFile {
  return { name, path: `/repo/files/${name}.md`, filename: `${name}.md`, bytes: content.length, sha256: sha256Hex(content) };
}

export interface AssistantOptions {
  spec?: Partial<AssistantSpec>;
  files?: string[];
  lifecycle?: Partial<Lifecycle>;
  line?: number;
  sensitive?: string[];
}

export const LOOKUP_TOOL: AssistantTool = {
  type: 'function',
  function: {
    name: 'lookup_order',
    description: 'Find an order',
    parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  },
};

export function desiredAssistant(key: string, options: AssistantOptions = {}): DesiredAssistant {
  const spec: AssistantSpec = {
    model: 'gpt-4o',
    name: `Assistant ${key}`,
    description: null,
    instructions: `You are ${key}.`,
    tools: [{ type: 'code_interpreter' }],
    metadata: { team: 'cx' },
    ...options.spec,
  };
  const files = options.files ?? [];
  return {
    key,
    spec,
    // The planner never reads it: promotion compares it, from the loader's manifests.
    promotable: promotableContent(spec, files, {}, new Set(), new Set()),
    files,
    sensitive: options.sensitive ?? [],
    lifecycle: { preventDestroy: false, ignoreChanges: [], ...options.lifecycle },
    source: { file: MANIFEST, line: options.line ?? 3, column: 3 },
  };
}

export function desiredState(assistants: DesiredAssistant[], files: DesiredFile[] = []): DesiredState {
  return {
    project: PROJECT,
    environment: ENV,
    manifestPath: MANIFEST,
    manifestHash: MANIFEST_HASH,
    files: Object.fromEntries(files.map((f) => [f.name, f])),
    assistants: Object.fromEntries(assistants.map((a) => [a.key, a])),
  };
}

export function liveAssistant(id: string, overrides: Partial<AssistantObject> = {}): AssistantObject {
  return {
    id,
    object: 'assistant',
    createdAt: 1_700_000_000,
    name: null,
    description: null,
    model: 'gpt-4o',
    instructions: null,
    tools: [],
    fileIds: [],
    metadata: {},
    ...overrides,
  };
}

/** The live assistant an apply of `spec` would have left, attaching the given file ids. */
export function liveFromDesired(
  id: string,
  assistant: DesiredAssistant,
  fileIds: Record<string, string> = {},
  createdAt = 1_700_000_000,
): AssistantObject {
  const spec = assistant.spec;
  return liveAssistant(id, {
    createdAt,
    name: spec.name,
    description: spec.description,
    model: spec.model,
    instructions: spec.instructions,
    tools: structuredClone(spec.tools),
    fileIds: assistant.files.map((name) => {
      const fileId = fileIds[name];
      if (fileId === undefined) throw new Error(`no id for file ${name}`);
      return fileId;
    }),
    metadata: { ...spec.metadata, ...tag(assistant.key) },
  });
}

export function liveFile(id: string, file: DesiredFile): OpenAIFile {
  return {
    id,
    object: 'file',
    bytes: file.bytes,
    createdAt: 1_700_000_000,
    filename: file.filename,
    purpose: 'assistants',
    status: 'processed',
  };
}

export function fileRecord(id: string, file: DesiredFile): FileRecord {
  return { id, sha256: file.sha256, bytes: file.bytes, filename: file.filename, updatedAt: AT };
}

/** A state record as the applier writes it after creating or updating `live`. */
export function assistantRecord(live: AssistantObject, files: Record<string, FileRecord>): AssistantRecord {
  return { id: live.id, applied: fieldHashes(liveView(live, fileLabelsById(files))), updatedAt: AT };
}

export function stateFile(assistants: Record<string, AssistantRecord>, files: Record<string, FileRecord>): StateFile {
  return {
    version: STATE_FORMAT_VERSION,
    lineage: 'lineage-1234',
    serial: 7,
    toolVersion: '0.1.0',
    project: PROJECT,
    environment: ENV,
    endpoint: 'http://127.0.0.1:4010/v1',
    assistants,
    files,
  };
}

export interface World {
  desired: DesiredState;
  state: StateFile | null;
  live: LiveState;
}

export const FAQ = desiredFile('faq');
export const GUIDE = desiredFile('guide');

/**
 * A world in sync: `support` (files faq and guide) and `sales` (no files), applied and
 * recorded. Each call builds fresh objects, so a case may change anything.
 */
export function syncedWorld(): World {
  const support = desiredAssistant('support', { files: ['faq', 'guide'], line: 3 });
  const sales = desiredAssistant('sales', { spec: { tools: [LOOKUP_TOOL], description: 'Sells' }, line: 12 });
  const files = { faq: fileRecord('file-faq', FAQ), guide: fileRecord('file-guide', GUIDE) };
  const liveSupport = liveFromDesired('asst_support', support, { faq: 'file-faq', guide: 'file-guide' });
  const liveSales = liveFromDesired('asst_sales', sales);
  return {
    desired: desiredState([support, sales], [FAQ, GUIDE]),
    state: stateFile(
      { support: assistantRecord(liveSupport, files), sales: assistantRecord(liveSales, files) },
      files,
    ),
    live: {
      assistants: [liveSupport, liveSales],
      files: [liveFile('file-faq', FAQ), liveFile('file-guide', GUIDE)],
    },
  };
}

export function liveById(world: World, id: string): AssistantObject {
  const found = world.live.assistants.find((a) => a.id === id);
  if (!found) throw new Error(`no live assistant ${id}`);
  return found;
}

export function desiredOf(world: World, key: string): DesiredAssistant {
  const found = world.desired.assistants[key];
  if (!found) throw new Error(`no desired assistant ${key}`);
  return found;
}

export function labelOf(file: DesiredFile): string {
  return fileLabel(file.name, file.sha256);
}

/** Plans the world and checks the plan against `schemas/plan.schema.json`. */
export function plan(world: World, options: Partial<Pick<PlanInput, 'mode' | 'targets'>> = {}): Plan {
  const { plan: result } = createPlan({
    desired: world.desired,
    state: world.state,
    live: world.live,
    mode: options.mode ?? 'normal',
    manifest: 'assistants.yaml',
    targets: options.targets ?? [],
    endpoint: 'http://127.0.0.1:4010/v1',
    toolVersion: '0.1.0',
    now: new Date(AT),
  });
  const document: unknown = JSON.parse(JSON.stringify(result));
  if (!validatePlan(document)) {
    throw new Error(`plan does not match plan.schema.json: ${JSON.stringify(validatePlan.errors)}`);
  }
  return result;
}

/**
 * schemas/plan.schema.json compiled as src/schema-file.ts does (Ajv2020, strict), plus
 * the standard formats (`date-time`), which src/schema-file.ts does not register yet:
 * see the direct planProblem test in planner.test.ts.
 */
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => Ajv2020;
const ajv = new Ajv2020({ allErrors: true, strict: true, discriminator: true });
addFormats(ajv);
const validatePlan = ajv.compile(
  JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8')) as object,
);
