/**
 * The applier and sensitive values: it sends the real values handed beside the plan,
 * records only hashes (and which parts were sensitive), refuses a redacted plan without
 * them, and scrubs them from a server's error that quotes them. Against a fake of the
 * ApplyApi interface.
 */
import { describe, expect, it } from 'vitest';
import type { AssistantObject, CreateAssistantRequest } from '../../src/api/models.js';
import type { ApplyApi } from '../../src/apply/api.js';
import { applyPlan, type ProgressEvent } from '../../src/apply/executor.js';
import { createPlan } from '../../src/plan/planner.js';
import { fieldHashes } from '../../src/plan/view.js';
import type { JournalEntry } from '../../src/state/journal.js';
import { desiredAssistant, desiredState, stateFile } from '../plan/world.js';

const SECRET = 'tok-secret-0123456789';

function planned() {
  const support = desiredAssistant('support', { spec: { name: `Support ${SECRET}`, metadata: { token: SECRET } }, sensitive: ['name', 'metadata.token'] });
  return createPlan({
    desired: desiredState([support]),
    state: null,
    live: { assistants: [], files: [] },
    mode: 'normal',
    manifest: 'assistants.yaml',
    targets: [],
    endpoint: 'e',
    toolVersion: 't',
    now: new Date(0),
  });
}

function fakeApi(create: (body: CreateAssistantRequest) => Promise<AssistantObject>): ApplyApi {
  const unused = (): never => {
    throw new Error('not used');
  };
  return {
    createAssistant: create,
    modifyAssistant: unused,
    deleteAssistant: unused,
    uploadFile: unused,
    deleteFile: unused,
    listAllAssistants: async () => [],
    listFiles: async () => [],
    contentSha256: unused,
  };
}

describe('applying a plan with sensitive parts', () => {
  it('sends the real values and records their hashes and which parts were sensitive', async () => {
    const { plan, sensitiveValues } = planned();
    const sent: CreateAssistantRequest[] = [];
    const journal: JournalEntry[] = [];
    const api = fakeApi(async (body) => {
      sent.push(body);
      return { id: 'asst_1', object: 'assistant', createdAt: 1, name: body.name ?? null, description: null, model: body.model, instructions: null, tools: [], fileIds: [], metadata: body.metadata ?? null };
    });
    const report = await applyPlan(plan, stateFile({}, {}), api, { append: async (e) => void journal.push(e) }, { parallelism: 1, manifestDir: '/', sensitiveValues });
    expect(report.failed).toEqual([]);
    expect(sent[0]).toMatchObject({ name: `Support ${SECRET}`, metadata: { token: SECRET } });
    expect(journal).toEqual([
      expect.objectContaining({ op: 'assistant.created', applied: fieldHashes(sensitiveValues.get('support')!), sensitive: ['name', 'metadata.token'] }),
    ]);
    expect(JSON.stringify(journal)).not.toContain(SECRET);
  });

  it('refuses to send a redacted plan without the values', async () => {
    const { plan } = planned();
    const report = await applyPlan(plan, stateFile({}, {}), fakeApi(async () => Promise.reject(new Error('never sent'))), { append: async () => {} }, { parallelism: 1, manifestDir: '/' });
    expect(report.failed.map((f) => f.message)).toEqual(['plan entry support has sensitive values that were not given to apply']);
  });

  it('scrubs them from an error that quotes what was sent', async () => {
    const { plan, sensitiveValues } = planned();
    const events: ProgressEvent[] = [];
    const api = fakeApi(async (body) => Promise.reject(new Error(`name '${body.name}' is not allowed; token ${body.metadata?.['token']}`)));
    const report = await applyPlan(plan, stateFile({}, {}), api, { append: async () => {} }, { parallelism: 1, manifestDir: '/', sensitiveValues, onProgress: (e) => events.push(e) });
    expect(report.failed.map((f) => f.message)).toEqual(["name '(sensitive)' is not allowed; token (sensitive)"]);
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });
});
