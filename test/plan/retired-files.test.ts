/**
 * Uploads a newer upload replaced, and uploads started by a run that died: the journal
 * keeps them in the state until they are settled, and the planner deletes what is left.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/apply/graph.js';
import { applyJournal, type JournalEntry } from '../../src/state/journal.js';
import { stateProblem } from '../../src/state/schema.js';
import { FAQ, fileRecord, liveFile, plan, syncedWorld } from './world.js';

const AT = '2026-03-04T05:06:07.000Z';
const NEW_FAQ_SHA = 'b'.repeat(64);

describe('journal: pending and replaced uploads', () => {
  it('records an upload intent until the upload finishes, and retires the upload it replaces', () => {
    const base = { ...syncedWorld().state!, lineage: randomUUID() };
    const started: JournalEntry = { op: 'file.upload-started', name: 'faq', sha256: NEW_FAQ_SHA, bytes: 9, filename: 'faq.md', at: AT };
    const midway = applyJournal(base, [started]);
    expect(midway.pendingUploads).toEqual({ faq: { sha256: NEW_FAQ_SHA, bytes: 9, filename: 'faq.md', startedAt: AT } });
    expect(stateProblem(midway)).toBeNull();

    const uploaded: JournalEntry = { op: 'file.uploaded', name: 'faq', id: 'file-faq-2', sha256: NEW_FAQ_SHA, bytes: 9, filename: 'faq.md', at: AT };
    const replaced = applyJournal(base, [started, uploaded]);
    expect(replaced.pendingUploads).toBeUndefined();
    expect(replaced.files['faq']?.id).toBe('file-faq-2');
    expect(replaced.retiredFiles).toEqual({
      'file-faq': { name: 'faq', sha256: FAQ.sha256, bytes: FAQ.bytes, filename: FAQ.filename, since: AT },
    });
    expect(stateProblem(replaced)).toBeNull();

    const deleted: JournalEntry = { op: 'file.deleted', name: 'faq', id: 'file-faq', at: AT };
    const settled = applyJournal(base, [started, uploaded, deleted]);
    expect(settled.retiredFiles).toBeUndefined();
    expect(settled.files['faq']?.id).toBe('file-faq-2');
    // Folding the same journal again changes nothing.
    expect(applyJournal(settled, [started, uploaded, deleted])).toEqual(settled);
  });

  it('retires only the upload the entry says it replaces: not a record whose file was deleted by hand', () => {
    const base = { ...syncedWorld().state!, lineage: randomUUID() };
    const entry = (replaces: string | null): JournalEntry => ({ op: 'file.uploaded', name: 'faq', id: 'file-faq-2', sha256: NEW_FAQ_SHA, bytes: 9, filename: 'faq.md', replaces, at: AT });
    const reuploaded = applyJournal(base, [entry(null)]);
    expect(reuploaded.files['faq']?.id).toBe('file-faq-2');
    expect(reuploaded.retiredFiles).toBeUndefined();
    expect(applyJournal(base, [entry('file-faq')]).retiredFiles).toEqual({
      'file-faq': { name: 'faq', sha256: FAQ.sha256, bytes: FAQ.bytes, filename: FAQ.filename, since: AT },
    });
    expect(stateProblem(reuploaded)).toBeNull();
  });
});

describe('planner: retired uploads', () => {
  it('deletes a retired upload that still exists, after the assistants that still attach it move off it', () => {
    const world = syncedWorld();
    const state = world.state!;
    // The replacement of faq finished (recorded) but the old upload was never deleted,
    // and support was never updated, so it still attaches the old id.
    state.retiredFiles = { 'file-faq': { name: 'faq', sha256: FAQ.sha256, bytes: FAQ.bytes, filename: FAQ.filename, since: AT } };
    state.files['faq'] = { ...fileRecord('file-faq-2', FAQ) };
    world.live.files.push(liveFile('file-faq-2', FAQ));
    const p = plan(world);
    const retired = p.files.filter((f) => f.id === 'file-faq');
    expect(retired).toEqual([expect.objectContaining({ name: 'faq', action: 'delete', reason: 'orphan', sha256: FAQ.sha256 })]);
    const support = p.assistants.find((a) => a.key === 'support')!;
    expect(support.action).toBe('update');
    expect(support.before?.files).toContain('file-faq');
    const nodes = buildGraph(p);
    const deletion = nodes.find((n) => n.id === 'delete-file faq file-faq')!;
    expect(deletion.deps).toContain('update support');
  });

  it('forgets a retired upload that is already gone', () => {
    const world = syncedWorld();
    world.state!.retiredFiles = { 'file-old': { name: 'faq', sha256: FAQ.sha256, bytes: FAQ.bytes, filename: FAQ.filename, since: AT } };
    const p = plan(world);
    expect(p.files.filter((f) => f.id === 'file-old')).toEqual([expect.objectContaining({ action: 'no-op', reason: 'gone' })]);
    expect(buildGraph(p).map((n) => n.id)).toContain('forget-file faq');
  });
});

describe('planner: leftovers of uploads given up and sent again (the state\'s unsettled uploads)', () => {
  const window = { name: 'faq', sha256: FAQ.sha256, bytes: FAQ.bytes, filename: FAQ.filename, since: '2023-11-14T22:13:00.000Z', until: '2023-11-14T23:13:20.000Z' };
  /** The synced world with a window for faq, a leftover dated in it and uploads that are not ours. */
  function withLeftover(): ReturnType<typeof syncedWorld> {
    const world = syncedWorld();
    world.state = { ...world.state!, unsettledUploads: { [FAQ.sha256]: window } };
    const dated = (id: string, createdAt: number) => ({ ...liveFile(id, FAQ), createdAt });
    world.live.files.push(
      dated('file-leftover', 1_700_000_000),
      // Before the window, after it, and attached to someone's assistant: not ours.
      dated('file-before', 1_699_990_000),
      dated('file-after', 1_700_010_000),
      dated('file-attached', 1_700_000_000),
      // Another content of the same name and size.
      dated('file-other', 1_700_000_000),
    );
    world.live.assistants.push({ ...world.live.assistants[1]!, id: 'asst_someone', metadata: {}, fileIds: ['file-attached'] });
    world.live.uploadHashes = new Map([
      ['file-leftover', FAQ.sha256],
      ['file-before', FAQ.sha256],
      ['file-after', FAQ.sha256],
      ['file-attached', FAQ.sha256],
      ['file-other', 'c'.repeat(64)],
    ]);
    return world;
  }

  it('deletes an unrecorded upload of that content, attached to nothing and dated in the window, and nothing else', () => {
    const made = plan(withLeftover());
    expect(made.files.filter((f) => f.action !== 'no-op')).toMatchObject([{ name: 'faq', action: 'delete', reason: 'orphan', id: 'file-leftover' }]);
  });

  it('destroy deletes it too; --target and refresh-only delete no file', () => {
    expect(plan(withLeftover(), { mode: 'destroy' }).files.filter((f) => f.id === 'file-leftover')).toMatchObject([{ action: 'delete', reason: 'destroy' }]);
    expect(plan(withLeftover(), { targets: ['support'] }).files.filter((f) => f.action !== 'no-op')).toEqual([]);
    expect(plan(withLeftover(), { mode: 'refresh-only' }).files.filter((f) => f.action !== 'no-op')).toEqual([]);
  });
});
