/**
 * A lost state leaks no uploads: the uploads attached to this project's assistants are
 * recognised by the one rule of src/plan/uploads.ts (name, size, and content where the
 * server serves it; attached to no other assistant), adopted, and deleted by destroy.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/apply/graph.js';
import { planHasChanges } from '../../src/plan/planner.js';
import { ourUploadCandidates, recognizeUploads, recordRecognized } from '../../src/plan/uploads.js';
import { stateProblem } from '../../src/state/schema.js';
import type { Plan } from '../../src/plan/types.js';
import { AT, FAQ, GUIDE, liveAssistant, liveFile, plan, stateFile, syncedWorld, type World } from './world.js';

/** The synced world with its state lost, and the content hashes refresh would have read. */
function lostState(hashes: Record<string, string | null> = { 'file-faq': FAQ.sha256, 'file-guide': GUIDE.sha256 }): World {
  const world = syncedWorld();
  world.state = null;
  world.live.uploadHashes = new Map(Object.entries(hashes));
  return world;
}

const fileActions = (p: Plan): string[] => p.files.map((f) => `${f.name} ${f.id ?? 'new'} ${f.action}/${f.reason}`);

describe('uploads of a project whose state is lost', () => {
  it('are adopted, not uploaded again: the assistants attaching them need no change', () => {
    const p = plan(lostState());
    expect(fileActions(p)).toEqual(['faq file-faq no-op/adopt', 'guide file-guide no-op/adopt']);
    expect(p.assistants.map((a) => `${a.key} ${a.action}/${a.reason}`)).toEqual(['sales no-op/adopt', 'support no-op/adopt']);
    expect(p.summary).toMatchObject({ filesUpload: 0, filesDelete: 0, change: 0 });
    expect(planHasChanges(p)).toBe(true);
    expect(buildGraph(p).map((n) => n.id)).toEqual(['adopt sales', 'adopt support', 'adopt-file faq', 'adopt-file guide']);
    expect(p.notes).toEqual([]);
  });

  it('are taken by name and size where the server does not serve their content, with a note', () => {
    const p = plan(lostState({ 'file-faq': null, 'file-guide': GUIDE.sha256 }));
    expect(fileActions(p)).toEqual(['faq file-faq no-op/adopt', 'guide file-guide no-op/adopt']);
    expect(p.notes).toEqual([
      { level: 'info', key: null, message: 'file "faq": file-faq is taken as its upload by name and size; the server does not serve its content, so the content could not be compared' },
    ]);
  });

  it('are not recognised with other content, nor when another assistant attaches them too, nor unread', () => {
    const changed = plan(lostState({ 'file-faq': 'f'.repeat(64), 'file-guide': GUIDE.sha256 }));
    expect(fileActions(changed)).toEqual(['faq new upload/new', 'guide file-guide no-op/adopt']);

    const shared = lostState();
    shared.live.assistants.push(liveAssistant('asst_by_hand', { fileIds: ['file-guide'] }));
    expect(fileActions(plan(shared))).toEqual(['faq file-faq no-op/adopt', 'guide new upload/new']);

    const unread = lostState({});
    expect(fileActions(plan(unread))).toEqual(['faq new upload/new', 'guide new upload/new']);
  });

  it('a second recognised upload of the same file is a duplicate to delete once nothing attaches it', () => {
    const world = lostState({ 'file-faq': FAQ.sha256, 'file-guide': GUIDE.sha256, 'file-faq-2': FAQ.sha256 });
    world.live.files.push({ ...liveFile('file-faq-2', FAQ), createdAt: 1_700_000_100 });
    world.live.assistants.find((a) => a.id === 'asst_sales')!.fileIds = ['file-faq-2'];
    const p = plan(world);
    expect(fileActions(p)).toEqual(['faq file-faq no-op/adopt', 'guide file-guide no-op/adopt', 'faq file-faq-2 delete/orphan']);
    expect(p.summary).toMatchObject({ filesUpload: 0, filesDelete: 1, change: 1 });
    const graph = buildGraph(p);
    expect(graph.find((n) => n.id === 'delete-file faq file-faq-2')?.deps).toEqual(['update sales']);
  });

  it('with the state kept, a leftover upload of a recorded file attached to our assistant is deleted', () => {
    const world = syncedWorld();
    world.live.files.push(liveFile('file-faq-old', FAQ));
    world.live.assistants.find((a) => a.id === 'asst_sales')!.fileIds = ['file-faq-old'];
    world.live.uploadHashes = new Map([['file-faq-old', FAQ.sha256]]);
    expect(fileActions(plan(world))).toContain('faq file-faq-old delete/orphan');
  });

  it('are deleted by destroy', () => {
    const p = plan(lostState(), { mode: 'destroy' });
    expect(fileActions(p)).toEqual(['faq file-faq delete/destroy', 'guide file-guide delete/destroy']);
    expect(p.summary).toMatchObject({ destroy: 2, filesDelete: 2 });
  });
});

describe('recordRecognized (state rebuild, import)', () => {
  it('records adopted uploads as the manifest files and duplicates as retired uploads to delete', () => {
    const world = lostState({ 'file-faq': FAQ.sha256, 'file-guide': null, 'file-faq-2': FAQ.sha256 });
    world.live.files.push({ ...liveFile('file-faq-2', FAQ), createdAt: 1_700_000_100 });
    world.live.assistants.find((a) => a.id === 'asst_sales')!.fileIds = ['file-faq-2'];
    const wanted = new Map(Object.entries(world.desired.files));
    const candidates = ourUploadCandidates(world.live, world.desired, null);
    const recorded = recordRecognized(stateFile({}, {}), recognizeUploads(candidates, world.live.uploadHashes!, wanted), wanted, AT);
    expect(Object.fromEntries(Object.entries(recorded.files).map(([name, r]) => [name, r.id]))).toEqual({ faq: 'file-faq', guide: 'file-guide' });
    expect(recorded.retiredFiles).toEqual({ 'file-faq-2': { name: 'faq', sha256: FAQ.sha256, bytes: FAQ.bytes, filename: FAQ.filename, since: AT } });
    expect(stateProblem({ ...recorded, lineage: randomUUID() })).toBeNull();
  });
});
