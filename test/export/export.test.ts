/** buildExport: live objects -> manifest document and the files to write. */
import { describe, expect, it } from 'vitest';
import type { AssistantObject, OpenAIFile } from '../../src/api/models.js';
import { buildExport } from '../../src/export/export.js';
import { escapeTemplate, parseTemplate } from '../../src/manifest/interpolate.js';

const assistant = (id: string, overrides: Partial<AssistantObject> = {}): AssistantObject => ({
  id,
  object: 'assistant',
  createdAt: 1,
  name: null,
  description: null,
  model: 'gpt-4',
  instructions: null,
  tools: [],
  fileIds: [],
  metadata: {},
  ...overrides,
});
const file = (id: string, filename: string): OpenAIFile => ({ id, object: 'file', bytes: 3, createdAt: 1, filename, purpose: 'assistants', status: 'processed' });

describe('buildExport', () => {
  it('derives unique keys from names, or keeps the key this project\'s tag names, and drops the tag', () => {
    const result = buildExport({
      project: 'p',
      assistants: [
        assistant('asst_1', { name: 'Help Desk!' }),
        assistant('asst_2', { name: 'Help Desk' }),
        assistant('asst_3'),
        assistant('asst_4', { name: 'Other', metadata: { 'assistants-iac': 'p/default/billing', team: 'x' } }),
      ],
      files: [],
    });
    expect(result.assistants).toEqual([
      { key: 'help-desk', id: 'asst_1' },
      { key: 'help-desk-2', id: 'asst_2' },
      { key: 'assistant', id: 'asst_3' },
      { key: 'billing', id: 'asst_4' },
    ]);
    expect((result.document.assistants as Record<string, unknown>)['billing']).toEqual({ name: 'Other', model: 'gpt-4', metadata: { team: 'x' } });
    expect(result.skipped).toEqual([]);
  });

  it('leaves out, with the reason, what import would refuse: another owner, no room for the tag; and their files', () => {
    const full = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
    const result = buildExport({
      project: 'p',
      assistants: [
        assistant('asst_other', { name: 'Theirs', fileIds: ['file-theirs'], metadata: { 'assistants-iac': 'other/default/x' } }),
        assistant('asst_prod', { metadata: { 'assistants-iac': 'p/prod/y' } }),
        assistant('asst_full', { name: 'Full', metadata: full }),
        assistant('asst_mine', { name: 'Mine' }),
      ],
      files: [file('file-theirs', 'theirs.md')],
    });
    expect(result.assistants).toEqual([{ key: 'mine', id: 'asst_mine' }]);
    expect(result.skipped).toEqual([
      { id: 'asst_other', name: 'Theirs', reason: 'owned by other/default/x: another project or environment manages it' },
      { id: 'asst_prod', name: null, reason: 'owned by p/prod/y: another project or environment manages it' },
      { id: 'asst_full', name: 'Full', reason: "has 16 metadata entries, leaving none of the API's 16 for the ownership tag; remove one and export again" },
    ]);
    expect(result.writes).toEqual([]);
    expect(result.document.files).toBeUndefined();
  });

  it('keeps short one-line instructions inline and moves others to a file', () => {
    const long = 'x'.repeat(201);
    const result = buildExport({
      project: 'p',
      assistants: [assistant('a', { name: 'short', instructions: 'Be brief.' }), assistant('b', { name: 'long', instructions: long }), assistant('c', { name: 'lines', instructions: 'a\nb' })],
      files: [],
    });
    const assistants = result.document.assistants as Record<string, Record<string, unknown>>;
    expect(assistants['short']?.instructions).toBe('Be brief.');
    expect(assistants['long']?.instructions_file).toBe('instructions/long.md');
    expect(assistants['lines']?.instructions_file).toBe('instructions/lines.md');
    expect(result.writes).toEqual([
      { path: 'instructions/long.md', text: long },
      { path: 'instructions/lines.md', text: 'a\nb' },
    ]);
  });

  it('writes each attached file once under its uploaded name, apart when names collide or are unsafe', () => {
    const files = [file('file-1', 'guide.md'), file('file-2', 'guide.md'), file('file-3', '../../etc/passwd'), file('file-4', '..'), file('file-5', 'Résumé & notes (v2).md')];
    const result = buildExport({
      project: 'p',
      assistants: [assistant('a', { name: 'a', fileIds: ['file-1', 'file-2'] }), assistant('b', { name: 'b', fileIds: ['file-1', 'file-3', 'file-4', 'file-5'] })],
      files,
    });
    expect(result.document.files).toEqual({
      guide: { path: 'files/guide.md' },
      'guide-2': { path: 'files/guide-2/guide.md' },
      passwd: { path: 'files/passwd' },
      file: { path: 'files/file' },
      'r-sum-notes-v2': { path: 'files/Résumé & notes (v2).md' },
    });
    expect(result.writes.map((w) => [w.path, w.fileId])).toEqual([
      ['files/guide.md', 'file-1'],
      ['files/guide-2/guide.md', 'file-2'],
      ['files/passwd', 'file-3'],
      ['files/file', 'file-4'],
      ['files/Résumé & notes (v2).md', 'file-5'],
    ]);
    expect((result.document.assistants as Record<string, Record<string, unknown>>)['b']?.files).toEqual(['guide', 'passwd', 'file', 'r-sum-notes-v2']);
    // Kept under its own name unless that is not a portable file name: a plan compares the uploaded name.
    expect(result.warnings).toEqual([
      'file-3 ("../../etc/passwd") is saved as passwd, its name not being a portable file name; the plan uploads it again under that name',
      'file-4 ("..") is saved as file, its name not being a portable file name; the plan uploads it again under that name',
    ]);
  });

  it('warns about what a manifest cannot say', () => {
    const result = buildExport({
      project: 'p',
      assistants: [assistant('asst_x', { name: 'x', tools: [{ type: 'browser' }], fileIds: ['file-gone'] })],
      files: [],
    });
    expect(result.warnings).toEqual([
      'asst_x (x): a tool of type "browser" has no manifest form and was left out',
      'asst_x (x): attached file file-gone no longer exists and was left out',
    ]);
  });
});

describe('escapeTemplate', () => {
  it.each(['${env.X}', '$${', '$$${', '${', '}${var.a}', 'a$', '$', 'plain', '${environment}$${x}'])('%s reads back as itself', (text) => {
    const parsed = parseTemplate(escapeTemplate(text));
    expect(parsed.errors).toEqual([]);
    expect(parsed.segments).toEqual(text === '' ? [] : [{ literal: text }]);
  });
});
