import { describe, expect, it } from 'vitest';
import { newState, parseState, serializeState } from '../../src/state/format.js';
import { applyJournal } from '../../src/state/journal.js';
import { STATE_FORMAT_VERSION, type StateFile } from '../../src/state/types.js';
import { AT, created, hashes, sampleState, sha, uploaded } from './sample.js';

describe('newState', () => {
  it('starts at serial 0 with a fresh uuid lineage and nothing recorded', () => {
    const a = newState({ project: 'p', environment: 'dev', endpoint: 'https://api.example.com/v1', toolVersion: '1.2.3' });
    const b = newState({ project: 'p', environment: 'dev', endpoint: 'https://api.example.com/v1', toolVersion: '1.2.3' });
    expect(a).toEqual({
      version: STATE_FORMAT_VERSION,
      lineage: a.lineage,
      serial: 0,
      toolVersion: '1.2.3',
      project: 'p',
      environment: 'dev',
      endpoint: 'https://api.example.com/v1',
      assistants: {},
      files: {},
    });
    expect(a.lineage).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(b.lineage).not.toBe(a.lineage);
  });
});

describe('parseState / serializeState', () => {
  it('round-trips, and the text does not depend on key order', () => {
    const state = sampleState();
    const text = serializeState(state);
    expect(parseState(text, 's.json')).toEqual(state);
    const reordered = Object.fromEntries(Object.entries(state).reverse()) as unknown as StateFile;
    expect(serializeState(reordered)).toBe(text);
  });

  it('reads a version-1 state (before test results were recorded) as version 2, and keeps test results keyed by names', () => {
    const state = sampleState();
    expect(parseState(JSON.stringify({ ...state, version: 1 }), 's.json')).toEqual(state);
    const record = { id: 'asst_1', fields: hashes('t'), contentHash: sha('c'), asApplied: true, outcome: 'passed', tests: { constructor: 'passed' }, manifestHash: sha('m'), testedAt: AT, toolVersion: '0.1.0' } as const;
    const tested = parseState(serializeState({ ...sampleState(), testResults: { ['__proto__']: record } }), 's.json');
    expect(Object.keys(tested.testResults!)).toEqual(['__proto__']);
    expect(tested.testResults!['__proto__']!.tests['constructor']).toBe('passed');
  });

  it('reads a version-2 state (before releases were recorded) as version 3, and keeps releases keyed by names', () => {
    const state = sampleState();
    expect(parseState(JSON.stringify({ ...state, version: 2 }), 's.json')).toEqual(state);
    const release = {
      id: 'asst_1',
      promotable: sha('p'),
      fields: { constructor: sha('f') },
      files: { ['__proto__']: sha('file') },
      environmentSpecific: ['model', 'metadata.env'],
      manifestHash: sha('m'),
      commit: null,
      appliedAt: AT,
      appliedBy: 'ci@runner',
      toolVersion: '0.1.0',
    };
    const read = parseState(serializeState({ ...sampleState(), releases: { ['__proto__']: release } }), 's.json');
    expect(Object.keys(read.releases!)).toEqual(['__proto__']);
    expect(Object.keys(read.releases!['__proto__']!.files)).toEqual(['__proto__']);
    expect(() => parseState(serializeState({ ...sampleState(), releases: { triage: { ...release, commit: 7 } } } as unknown as StateFile), 's.json')).toThrow(/invalid state/);
  });

  it('errors start with the source given', () => {
    expect(() => parseState('{', 'where/dev.json')).toThrow(/^where\/dev\.json: not valid JSON/);
  });
});

describe('applyJournal', () => {
  it('records creates, updates and uploads, and does not modify its input', () => {
    const state = sampleState();
    const snapshot = structuredClone(state);
    const later = '2026-02-01T00:00:00.000Z';
    const next = applyJournal(state, [
      created('new', 'asst_new', later),
      { op: 'assistant.updated', key: 'support', id: 'asst_support', applied: hashes('support-2'), at: later },
      uploaded('notes', 'file-notes', later),
    ]);
    expect(state).toEqual(snapshot);
    expect(next.assistants['new']).toEqual({ id: 'asst_new', applied: hashes('new'), updatedAt: later });
    expect(next.assistants['support']).toEqual({ id: 'asst_support', applied: hashes('support-2'), updatedAt: later });
    expect(next.files['notes']).toEqual({ id: 'file-notes', sha256: sha('notes'), bytes: 5, filename: 'notes.txt', updatedAt: later });
    expect(next.serial).toBe(state.serial);
    expect(next.lineage).toBe(state.lineage);
  });

  it('forgets a deleted object only when the id matches the record', () => {
    const state = sampleState();
    const next = applyJournal(state, [
      { op: 'assistant.deleted', key: 'support', id: 'asst_duplicate', at: AT },
      { op: 'assistant.deleted', key: 'billing', id: 'asst_billing', at: AT },
      { op: 'file.deleted', name: 'handbook', id: 'file-other', at: AT },
    ]);
    expect(Object.keys(next.assistants)).toEqual(['support']);
    expect(Object.keys(next.files)).toEqual(['handbook']);
    const gone = applyJournal(next, [{ op: 'file.deleted', name: 'handbook', id: 'file-handbook', at: AT }]);
    expect(gone.files).toEqual({});
  });

  it('is idempotent: folding the same entries twice gives the same state', () => {
    const entries = [
      created('new', 'asst_new'),
      { op: 'assistant.deleted', key: 'billing', id: 'asst_billing', at: AT } as const,
      uploaded('notes', 'file-notes'),
    ];
    const once = applyJournal(sampleState(), entries);
    expect(applyJournal(once, entries)).toEqual(once);
  });

  it('keeps a window per content for uploads that may land unseen: windows of one content merge, a settle closes it, and the state stays valid', () => {
    const window = { name: 'notes', sha256: sha('notes'), bytes: 5, filename: 'notes.txt' };
    const opened = applyJournal(sampleState(), [
      { op: 'file.upload-unsettled', ...window, since: '2026-02-01T00:00:10.000Z', until: '2026-02-01T01:00:20.000Z', at: AT },
      { op: 'file.upload-unsettled', ...window, since: '2026-02-01T00:00:05.000Z', until: '2026-02-01T01:00:15.000Z', at: AT },
    ]);
    expect(opened.unsettledUploads).toEqual({ [sha('notes')]: { ...window, since: '2026-02-01T00:00:05.000Z', until: '2026-02-01T01:00:20.000Z' } });
    expect(parseState(serializeState(opened), 's.json')).toEqual(opened);
    const settled = applyJournal(opened, [{ op: 'file.upload-settled', sha256: sha('notes'), at: AT }]);
    expect(settled.unsettledUploads).toBeUndefined();
  });

  it('applies entries in order: a create after a delete of the same key wins', () => {
    const next = applyJournal(sampleState(), [
      { op: 'assistant.deleted', key: 'support', id: 'asst_support', at: AT },
      created('support', 'asst_support_2'),
    ]);
    expect(next.assistants['support']?.id).toBe('asst_support_2');
  });
});
