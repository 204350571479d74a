import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/json.js';
import { UserError } from '../../src/errors.js';
import type { AssistantField } from '../../src/assistant-fields.js';
import { hashValue } from '../../src/plan/hash.js';
import { OWNERSHIP_METADATA_KEY } from '../../src/plan/ownership.js';
import { planHasChanges, type PlanInput } from '../../src/plan/planner.js';
import { planProblem } from '../../src/plan/plan-schema.js';
import type { AssistantChange, FileChange, Plan } from '../../src/plan/types.js';
import {
  AT,
  FAQ,
  GUIDE,
  LOOKUP_TOOL,
  MANIFEST_HASH,
  PROJECT,
  assistantRecord,
  desiredAssistant,
  desiredFile,
  desiredOf,
  desiredState,
  fileRecord,
  labelOf,
  liveAssistant,
  liveById,
  liveFile,
  liveFromDesired,
  plan,
  stateFile,
  syncedWorld,
  tag,
  type World,
} from './world.js';

/** The one change planned for `key` (fails when there are none or several). */
function only(p: Plan, key: string): AssistantChange {
  const found = p.assistants.filter((a) => a.key === key);
  expect(found, `changes for ${key}`).toHaveLength(1);
  return found[0]!;
}

function fileOf(p: Plan, name: string): FileChange {
  const found = p.files.filter((f) => f.name === name);
  expect(found, `changes for file ${name}`).toHaveLength(1);
  return found[0]!;
}

/** key -> `action/reason`, for a compact view of a whole plan. */
function actions(p: Plan): Record<string, string> {
  return Object.fromEntries(p.assistants.map((a) => [`${a.key}:${a.id ?? 'new'}`, `${a.action}/${a.reason}`]));
}

function fileActions(p: Plan): Record<string, string> {
  return Object.fromEntries(p.files.map((f) => [f.name, `${f.action}/${f.reason}`]));
}

const noopSales = (p: Plan): void => {
  expect(only(p, 'sales')).toMatchObject({ action: 'no-op', reason: 'unchanged', changes: [] });
};

interface Case {
  name: string;
  arrange: (w: World) => void;
  options?: Partial<Pick<PlanInput, 'mode' | 'targets'>>;
  check: (p: Plan, w: World) => void;
}

function table(cases: Case[]): void {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const w = syncedWorld();
    c.arrange(w);
    c.check(plan(w, c.options), w);
  });
}

describe('createPlan: action kinds', () => {
  table([
    {
      name: 'an applied world in sync plans only no-ops',
      arrange: () => {},
      check: (p) => {
        expect(actions(p)).toEqual({
          'sales:asst_sales': 'no-op/unchanged',
          'support:asst_support': 'no-op/unchanged',
        });
        expect(fileActions(p)).toEqual({ faq: 'no-op/unchanged', guide: 'no-op/unchanged' });
        expect(p.summary).toEqual({ add: 0, change: 0, destroy: 0, filesUpload: 0, filesDelete: 0 });
        expect(p.notes).toEqual([]);
        expect(planHasChanges(p)).toBe(false);
      },
    },
    {
      name: 'a key new in the manifest is created with reason new',
      arrange: (w) => {
        w.desired.assistants['triage'] = desiredAssistant('triage', { files: ['faq'] });
      },
      check: (p) => {
        const c = only(p, 'triage');
        expect(c).toMatchObject({ action: 'create', reason: 'new', id: null, before: null, changes: [] });
        expect(c.after).toEqual({
          model: 'gpt-4o',
          name: 'Assistant triage',
          description: null,
          instructions: 'You are triage.',
          tools: [{ type: 'code_interpreter' }],
          files: [labelOf(FAQ)],
          metadata: { [OWNERSHIP_METADATA_KEY]: 'shop/prod/triage', team: 'cx' },
        });
        expect(p.summary.add).toBe(1);
        expect(planHasChanges(p)).toBe(true);
      },
    },
    {
      name: 'a field edited in the manifest is an update with cause manifest',
      arrange: (w) => {
        desiredOf(w, 'support').spec.instructions = 'You are support.\nBe brief.';
      },
      check: (p) => {
        expect(only(p, 'support')).toMatchObject({
          action: 'update',
          reason: 'changed-in-manifest',
          id: 'asst_support',
          changes: [{ field: 'instructions', before: 'You are support.', after: 'You are support.\nBe brief.', cause: 'manifest' }],
          ignored: [],
        });
        noopSales(p);
        expect(p.summary.change).toBe(1);
      },
    },
    {
      name: 'a key removed from the manifest is deleted with reason removed-from-manifest',
      arrange: (w) => {
        delete w.desired.assistants['sales'];
      },
      check: (p, w) => {
        const c = only(p, 'sales');
        expect(c).toMatchObject({ action: 'delete', reason: 'removed-from-manifest', id: 'asst_sales', after: null });
        expect(c.before?.name).toBe(liveById(w, 'asst_sales').name);
        expect(only(p, 'support').action).toBe('no-op');
        expect(p.summary).toMatchObject({ add: 0, change: 0, destroy: 1 });
      },
    },
  ]);
});

describe('createPlan: drift on each field (live changed, manifest unchanged)', () => {
  const drifts: Array<{ field: AssistantField; edit: (w: World) => void; before: JsonValue; after: (w: World) => JsonValue }> = [
    {
      field: 'name',
      edit: (w) => void (liveById(w, 'asst_support').name = 'Renamed in console'),
      before: 'Renamed in console',
      after: () => 'Assistant support',
    },
    {
      field: 'model',
      edit: (w) => void (liveById(w, 'asst_support').model = 'gpt-4o-mini'),
      before: 'gpt-4o-mini',
      after: () => 'gpt-4o',
    },
    {
      field: 'description',
      edit: (w) => void (liveById(w, 'asst_support').description = 'added by hand'),
      before: 'added by hand',
      after: () => null,
    },
    {
      field: 'instructions',
      edit: (w) => void (liveById(w, 'asst_support').instructions = null),
      before: null,
      after: () => 'You are support.',
    },
    {
      field: 'tools',
      edit: (w) => void liveById(w, 'asst_support').tools.push({ type: 'retrieval' }),
      before: [{ type: 'code_interpreter' }, { type: 'retrieval' }],
      after: () => [{ type: 'code_interpreter' }],
    },
    {
      field: 'files',
      edit: (w) => void (liveById(w, 'asst_support').fileIds = ['file-guide', 'file-by-hand']),
      before: ['file-by-hand', labelOf(GUIDE)],
      after: () => [labelOf(FAQ), labelOf(GUIDE)],
    },
    {
      field: 'metadata',
      edit: (w) => void (liveById(w, 'asst_support').metadata!['team'] = 'growth'),
      before: { [OWNERSHIP_METADATA_KEY]: 'shop/prod/support', team: 'growth' },
      after: () => ({ [OWNERSHIP_METADATA_KEY]: 'shop/prod/support', team: 'cx' }),
    },
  ];
  it.each(drifts.map((d) => [d.field, d] as const))('%s drifted -> update, reason drift', (_field, d) => {
    const w = syncedWorld();
    d.edit(w);
    const p = plan(w);
    const c = only(p, 'support');
    expect(c).toMatchObject({ action: 'update', reason: 'drift', id: 'asst_support' });
    expect(c.changes).toEqual([{ field: d.field, before: d.before, after: d.after(w), cause: 'drift' }]);
    noopSales(p);
    expect(p.summary.change).toBe(1);
    expect(planHasChanges(p)).toBe(true);
  });
});

describe('createPlan: manifest edits, drift mixed in, lifecycle', () => {
  table([
    {
      name: 'manifest and drift mixed -> changed-in-manifest with a cause per field',
      arrange: (w) => {
        desiredOf(w, 'support').spec.name = 'Support desk';
        liveById(w, 'asst_support').model = 'gpt-3.5-turbo';
      },
      check: (p) => {
        const c = only(p, 'support');
        expect(c).toMatchObject({ action: 'update', reason: 'changed-in-manifest' });
        expect(c.changes).toEqual([
          { field: 'model', before: 'gpt-3.5-turbo', after: 'gpt-4o', cause: 'drift' },
          { field: 'name', before: 'Assistant support', after: 'Support desk', cause: 'manifest' },
        ]);
      },
    },
    {
      name: 'a file added to an assistant in the manifest changes its files with cause manifest',
      arrange: (w) => {
        desiredOf(w, 'sales').files.push('faq');
      },
      check: (p) => {
        expect(only(p, 'sales')).toMatchObject({
          action: 'update',
          reason: 'changed-in-manifest',
          changes: [{ field: 'files', before: [], after: [labelOf(FAQ)], cause: 'manifest' }],
        });
      },
    },
    {
      name: 'ignore_changes: a drifted ignored field is listed in ignored, kept live in after, no update',
      arrange: (w) => {
        desiredOf(w, 'support').lifecycle.ignoreChanges = ['instructions'];
        liveById(w, 'asst_support').instructions = 'Tuned by the support lead.';
      },
      check: (p) => {
        const c = only(p, 'support');
        expect(c).toMatchObject({ action: 'no-op', reason: 'unchanged', changes: [], ignored: ['instructions'] });
        expect(c.after?.instructions).toBe('Tuned by the support lead.');
        expect(c.before?.instructions).toBe('Tuned by the support lead.');
        expect(planHasChanges(p)).toBe(false);
      },
    },
    {
      name: 'ignore_changes: an ignored field edited in the manifest is not applied either, other fields are',
      arrange: (w) => {
        const support = desiredOf(w, 'support');
        support.lifecycle.ignoreChanges = ['model'];
        support.spec.model = 'gpt-4.1';
        support.spec.description = 'Helps';
      },
      check: (p) => {
        const c = only(p, 'support');
        expect(c).toMatchObject({ action: 'update', reason: 'changed-in-manifest', ignored: ['model'] });
        expect(c.changes.map((x) => x.field)).toEqual(['description']);
        expect(c.after?.model).toBe('gpt-4o');
      },
    },
    {
      name: 'prevent_destroy does not block a normal plan',
      arrange: (w) => {
        desiredOf(w, 'support').lifecycle.preventDestroy = true;
        desiredOf(w, 'support').spec.model = 'gpt-4.1';
      },
      check: (p) => {
        expect(only(p, 'support')).toMatchObject({ action: 'update', reason: 'changed-in-manifest' });
      },
    },
    {
      name: 'prevent_destroy does not block destroy of keys left out with --target',
      arrange: (w) => {
        desiredOf(w, 'support').lifecycle.preventDestroy = true;
      },
      options: { mode: 'destroy', targets: ['sales'] },
      check: (p) => {
        expect(actions(p)).toEqual({ 'sales:asst_sales': 'delete/destroy' });
        expect(p.targets).toEqual(['sales']);
      },
    },
  ]);

  it('prevent_destroy in destroy mode throws PREVENT_DESTROY naming the key and its position', () => {
    const w = syncedWorld();
    desiredOf(w, 'support').lifecycle.preventDestroy = true;
    let error: unknown;
    try {
      plan(w, { mode: 'destroy' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    const userError = error as UserError;
    expect(userError.code).toBe('PREVENT_DESTROY');
    expect(userError.message).toContain('1 assistant');
    expect(userError.details).toHaveLength(1);
    expect(userError.details[0]).toContain('/repo/assistants.yaml:3:3');
    expect(userError.details[0]).toContain('assistants.support');
    expect(userError.details[0]).toContain('asst_support');
  });
});

describe('createPlan: ownership', () => {
  table([
    {
      name: 'a second tagged assistant for a recorded key is deleted as an orphan',
      arrange: (w) => {
        const dup = liveFromDesired('asst_support_dup', desiredOf(w, 'support'), { faq: 'file-faq', guide: 'file-guide' }, 1_700_000_100);
        w.live.assistants.push(dup);
      },
      check: (p) => {
        expect(actions(p)).toEqual({
          'sales:asst_sales': 'no-op/unchanged',
          'support:asst_support': 'no-op/unchanged',
          'support:asst_support_dup': 'delete/orphan',
        });
        expect(p.summary.destroy).toBe(1);
      },
    },
    {
      name: 'a tagged assistant for a key in neither manifest nor state is deleted as an orphan',
      arrange: (w) => {
        w.live.assistants.push(liveAssistant('asst_legacy', { name: 'Legacy', metadata: tag('legacy') }));
      },
      check: (p) => {
        const c = only(p, 'legacy');
        expect(c).toMatchObject({ action: 'delete', reason: 'orphan', id: 'asst_legacy', after: null });
        expect(c.before?.name).toBe('Legacy');
      },
    },
    {
      name: 'adoption: tagged, matching, no state -> no-op adopt (which still counts as a change)',
      arrange: (w) => {
        w.state = null;
        w.live.files = [];
        w.live.assistants = [liveFromDesired('asst_sales', desiredOf(w, 'sales'))];
        delete w.desired.assistants['support'];
        w.desired.files = {};
      },
      check: (p) => {
        expect(only(p, 'sales')).toMatchObject({ action: 'no-op', reason: 'adopt', id: 'asst_sales', changes: [] });
        expect(p.summary).toEqual({ add: 0, change: 0, destroy: 0, filesUpload: 0, filesDelete: 0 });
        expect(planHasChanges(p)).toBe(true);
      },
    },
    {
      name: 'adoption: tagged, differing, no state record -> update adopt with manifest causes; the newer duplicate is an orphan',
      arrange: (w) => {
        const sales = desiredOf(w, 'sales');
        w.state = stateFile({}, w.state!.files);
        liveById(w, 'asst_sales').instructions = 'old words';
        w.live.assistants.push(liveFromDesired('asst_sales_dup', sales, {}, 1_700_000_500));
      },
      check: (p) => {
        const c = p.assistants.find((a) => a.id === 'asst_sales')!;
        expect(c).toMatchObject({
          action: 'update',
          reason: 'adopt',
          changes: [{ field: 'instructions', before: 'old words', after: 'You are sales.', cause: 'manifest' }],
        });
        expect(actions(p)['sales:asst_sales_dup']).toBe('delete/orphan');
        // support's record went with the state's assistants; it matches, so it is adopted as is.
        expect(actions(p)['support:asst_support']).toBe('no-op/adopt');
      },
    },
    {
      name: 'assistants of another project or environment, and untagged ones, are never touched',
      arrange: (w) => {
        w.live.assistants.push(
          liveAssistant('asst_other_project', { name: 'Assistant sales', metadata: tag('sales', 'blog') }),
          liveAssistant('asst_other_env', { name: 'Assistant sales', metadata: tag('sales', 'shop', 'dev') }),
          liveAssistant('asst_other_env_legacy', { metadata: tag('legacy', 'shop', 'staging') }),
          liveAssistant('asst_untagged', { name: 'Assistant support', metadata: { team: 'cx' } }),
          liveAssistant('asst_bad_tag', { metadata: { [OWNERSHIP_METADATA_KEY]: 'shop/prod' } }),
        );
      },
      check: (p) => {
        expect(actions(p)).toEqual({ 'sales:asst_sales': 'no-op/unchanged', 'support:asst_support': 'no-op/unchanged' });
        expect(Object.keys(p.prior.liveFingerprints).sort()).toEqual(['asst_sales', 'asst_support', 'file-faq', 'file-guide']);
        expect(p.notes).toEqual([]);
      },
    },
    {
      name: 'foreign assistants are not touched in destroy mode either',
      arrange: (w) => {
        w.live.assistants.push(
          liveAssistant('asst_other_project', { metadata: tag('sales', 'blog') }),
          liveAssistant('asst_untagged', { name: 'Assistant support' }),
        );
      },
      options: { mode: 'destroy' },
      check: (p) => {
        expect(p.assistants.map((a) => a.id).sort()).toEqual(['asst_sales', 'asst_support']);
      },
    },
    {
      name: 'an untagged namesake of a new key gives an info note suggesting import, and is not touched',
      arrange: (w) => {
        w.state = null;
        w.live.assistants = [
          liveAssistant('asst_byhand', { name: 'Assistant sales', metadata: null }),
          liveAssistant('asst_blog', { name: 'Assistant support', metadata: tag('support', 'blog') }),
        ];
        w.live.files = [];
      },
      check: (p) => {
        expect(actions(p)).toEqual({ 'sales:new': 'create/new', 'support:new': 'create/new' });
        expect(p.notes).toHaveLength(1);
        expect(p.notes[0]).toMatchObject({ level: 'info', key: 'sales' });
        expect(p.notes[0]!.message).toContain('assistants import sales asst_byhand');
      },
    },
    {
      name: 'a recorded assistant deleted outside is created again with reason gone',
      arrange: (w) => {
        w.live.assistants = w.live.assistants.filter((a) => a.id !== 'asst_sales');
      },
      check: (p) => {
        expect(only(p, 'sales')).toMatchObject({ action: 'create', reason: 'gone', id: null, before: null });
        expect(p.summary.add).toBe(1);
      },
    },
    {
      name: 'a key removed from the manifest whose object is gone is a no-op gone (the record is dropped)',
      arrange: (w) => {
        delete w.desired.assistants['sales'];
        w.live.assistants = w.live.assistants.filter((a) => a.id !== 'asst_sales');
      },
      check: (p) => {
        expect(only(p, 'sales')).toMatchObject({ action: 'no-op', reason: 'gone', id: 'asst_sales', before: null, after: null });
        expect(p.summary.destroy).toBe(0);
        expect(planHasChanges(p)).toBe(true);
      },
    },
    {
      name: 'a recorded assistant whose ownership tag was removed by hand gets its metadata back',
      arrange: (w) => {
        liveById(w, 'asst_sales').metadata = { team: 'cx' };
      },
      check: (p) => {
        expect(only(p, 'sales')).toMatchObject({
          action: 'update',
          reason: 'drift',
          changes: [
            {
              field: 'metadata',
              before: { team: 'cx' },
              after: { [OWNERSHIP_METADATA_KEY]: 'shop/prod/sales', team: 'cx' },
              cause: 'drift',
            },
          ],
        });
      },
    },
  ]);
});

describe('createPlan: a state record naming an assistant another owner tagged', () => {
  it.each(['normal', 'refresh-only', 'destroy'] as const)('is refused in %s mode, naming the owner, instead of being retagged', (mode) => {
    const w = syncedWorld();
    liveById(w, 'asst_support').metadata = { team: 'cx', [OWNERSHIP_METADATA_KEY]: 'other/default/x' };
    expect(() => plan(w, { mode })).toThrow(
      new UserError(
        'STATE',
        'the state records assistant "support" as asst_support, but asst_support is owned by other/default/x (its assistants-iac tag); it will not be taken from its owner. Run "assistants state rm support" to forget it (the tag stays), then plan again.',
      ),
    );
  });

  it('another environment of the same project is another owner; a key outside --target is left alone', () => {
    const w = syncedWorld();
    liveById(w, 'asst_support').metadata = tag('support', PROJECT, 'staging');
    expect(() => plan(w)).toThrow(/owned by shop\/staging\/support/);
    expect(only(plan(w, { targets: ['sales'] }), 'sales').action).toBe('no-op');
  });
});

describe('createPlan: targets', () => {
  table([
    {
      name: 'only targeted keys are planned; files of other assistants and file deletes are left out',
      arrange: (w) => {
        desiredOf(w, 'support').spec.model = 'gpt-4.1';
        desiredOf(w, 'sales').spec.model = 'gpt-4.1';
        w.desired.assistants['triage'] = desiredAssistant('triage');
        w.live.assistants.push(liveAssistant('asst_legacy', { metadata: tag('legacy') }));
        // A recorded file no assistant uses any more: deleted without --target, kept with it.
        w.state!.files['old'] = fileRecord('file-old', desiredFile('old'));
        w.live.files.push(liveFile('file-old', desiredFile('old')));
      },
      options: { targets: ['sales'] },
      check: (p) => {
        expect(actions(p)).toEqual({ 'sales:asst_sales': 'update/changed-in-manifest' });
        expect(p.files).toEqual([]);
        expect(p.targets).toEqual(['sales']);
      },
    },
    {
      name: 'a targeted assistant brings its own files, and only those',
      arrange: (w) => {
        w.desired.files['faq'] = desiredFile('faq', 'faq v2');
        w.desired.files['extra'] = desiredFile('extra');
      },
      options: { targets: ['support', 'nonexistent'] },
      check: (p) => {
        expect(p.assistants.map((a) => a.key)).toEqual(['support']);
        expect(fileActions(p)).toEqual({ faq: 'upload/changed-in-manifest', guide: 'no-op/unchanged' });
        expect(p.targets).toEqual(['nonexistent', 'support']);
      },
    },
    {
      name: 'without targets the same unused recorded file is deleted',
      arrange: (w) => {
        w.state!.files['old'] = fileRecord('file-old', desiredFile('old'));
        w.live.files.push(liveFile('file-old', desiredFile('old')));
      },
      check: (p) => {
        expect(fileOf(p, 'old')).toMatchObject({ action: 'delete', reason: 'removed-from-manifest', id: 'file-old', path: null });
        expect(p.summary.filesDelete).toBe(1);
      },
    },
  ]);
});

describe('createPlan: files', () => {
  table([
    {
      name: 'a file new in the manifest is uploaded with reason new',
      arrange: (w) => {
        const notes = desiredFile('notes', 'some notes');
        w.desired.files['notes'] = notes;
        desiredOf(w, 'sales').files.push('notes');
      },
      check: (p) => {
        const notes = desiredFile('notes', 'some notes');
        expect(fileOf(p, 'notes')).toEqual({
          name: 'notes',
          action: 'upload',
          reason: 'new',
          id: null,
          path: 'files/notes.md',
          filename: notes.filename,
          bytes: notes.bytes,
          sha256: notes.sha256,
          previousSha256: null,
        });
        expect(only(p, 'sales').changes).toEqual([{ field: 'files', before: [], after: [labelOf(notes)], cause: 'manifest' }]);
        expect(p.summary.filesUpload).toBe(1);
      },
    },
    {
      name: 'an unchanged file is a no-op with its id',
      arrange: () => {},
      check: (p) => {
        expect(fileOf(p, 'faq')).toMatchObject({ action: 'no-op', reason: 'unchanged', id: 'file-faq', sha256: FAQ.sha256 });
      },
    },
    {
      name: 'content changed only (same name) -> upload with previousSha256; files field goes name@old -> name@new',
      arrange: (w) => {
        w.desired.files['faq'] = desiredFile('faq', 'faq v2, longer');
      },
      check: (p) => {
        const faq2 = desiredFile('faq', 'faq v2, longer');
        expect(fileOf(p, 'faq')).toMatchObject({
          action: 'upload',
          reason: 'changed-in-manifest',
          id: 'file-faq',
          sha256: faq2.sha256,
          previousSha256: FAQ.sha256,
          bytes: faq2.bytes,
        });
        const c = only(p, 'support');
        expect(c).toMatchObject({ action: 'update', reason: 'changed-in-manifest' });
        expect(c.changes).toEqual([
          {
            field: 'files',
            before: [`faq@${FAQ.sha256.slice(0, 12)}`, labelOf(GUIDE)],
            after: [`faq@${faq2.sha256.slice(0, 12)}`, labelOf(GUIDE)],
            cause: 'manifest',
          },
        ]);
        expect(fileOf(p, 'guide').action).toBe('no-op');
        // The replaced upload is deleted after the new one is attached: counted, as apply counts it.
        expect(p.summary).toMatchObject({ change: 1, filesUpload: 1, filesDelete: 1 });
      },
    },
    {
      name: 'a file removed from the manifest is deleted, and detached from its assistant',
      arrange: (w) => {
        delete w.desired.files['guide'];
        desiredOf(w, 'support').files = ['faq'];
      },
      check: (p) => {
        expect(fileOf(p, 'guide')).toMatchObject({ action: 'delete', reason: 'removed-from-manifest', id: 'file-guide', path: null });
        expect(only(p, 'support').changes).toEqual([
          { field: 'files', before: [labelOf(FAQ), labelOf(GUIDE)], after: [labelOf(FAQ)], cause: 'manifest' },
        ]);
        expect(p.summary).toMatchObject({ filesDelete: 1, change: 1 });
      },
    },
    {
      name: 'a recorded file deleted outside (and so detached by the server) is uploaded again with reason gone',
      arrange: (w) => {
        w.live.files = w.live.files.filter((f) => f.id !== 'file-guide');
        liveById(w, 'asst_support').fileIds = ['file-faq'];
      },
      check: (p) => {
        expect(fileOf(p, 'guide')).toMatchObject({ action: 'upload', reason: 'gone', id: null, previousSha256: null });
        expect(only(p, 'support')).toMatchObject({
          action: 'update',
          reason: 'drift',
          changes: [{ field: 'files', before: [labelOf(FAQ)], after: [labelOf(FAQ), labelOf(GUIDE)], cause: 'drift' }],
        });
        expect(p.prior.liveFingerprints['file-guide']).toBeUndefined();
      },
    },
    {
      name: 'a recorded file deleted outside but still listed by the assistant is re-attached under its new id',
      arrange: (w) => {
        // A server that does not detach deleted files: the assistant still names the dead id.
        w.live.files = w.live.files.filter((f) => f.id !== 'file-guide');
      },
      check: (p) => {
        expect(fileOf(p, 'guide')).toMatchObject({ action: 'upload', reason: 'gone', id: null });
        expect(only(p, 'support')).toMatchObject({
          action: 'update',
          reason: 'drift',
          changes: [{ field: 'files', before: [labelOf(FAQ), 'file-guide'], after: [labelOf(FAQ), labelOf(GUIDE)], cause: 'drift' }],
        });
      },
    },
    {
      name: 'file attachments compare as sets: another order is a no-op',
      arrange: (w) => {
        liveById(w, 'asst_support').fileIds = ['file-guide', 'file-faq'];
        desiredOf(w, 'support').files = ['guide', 'faq'];
      },
      check: (p) => {
        expect(only(p, 'support')).toMatchObject({ action: 'no-op', reason: 'unchanged' });
      },
    },
  ]);
});

describe('createPlan: comparing by meaning, and what it does not know', () => {
  table([
    {
      name: 'the same function tool with keys in another order is a no-op',
      arrange: (w) => {
        liveById(w, 'asst_sales').tools = [
          {
            function: {
              parameters: { required: ['id'], properties: { id: { type: 'string' } }, type: 'object' },
              description: 'Find an order',
              name: 'lookup_order',
            },
            type: 'function',
          },
        ];
      },
      check: (p) => {
        noopSales(p);
        expect(planHasChanges(p)).toBe(false);
      },
    },
    {
      name: 'a changed function parameter schema is a tools update',
      arrange: (w) => {
        const tool = structuredClone(LOOKUP_TOOL);
        if (tool.type === 'function') tool.function.parameters = { type: 'object', properties: { id: { type: 'integer' } } };
        desiredOf(w, 'sales').spec.tools = [tool];
      },
      check: (p) => {
        expect(only(p, 'sales')).toMatchObject({ action: 'update', reason: 'changed-in-manifest' });
        expect(only(p, 'sales').changes.map((c) => c.field)).toEqual(['tools']);
      },
    },
    {
      name: 'metadata in another key order is a no-op',
      arrange: (w) => {
        desiredOf(w, 'sales').spec.metadata = { zeta: '1', alpha: '2' };
        const live = liveById(w, 'asst_sales');
        live.metadata = { ...tag('sales'), alpha: '2', zeta: '1' };
        w.state!.assistants['sales'] = assistantRecord(live, w.state!.files);
        live.metadata = { zeta: '1', ...tag('sales'), alpha: '2' };
      },
      check: noopSales,
    },
    {
      name: 'a live tool of an unknown type gives a warning note, not a crash',
      arrange: (w) => {
        liveById(w, 'asst_sales').tools.push({ type: 'browser', browser: { region: 'eu' } });
      },
      check: (p) => {
        const c = only(p, 'sales');
        expect(c).toMatchObject({ action: 'update', reason: 'drift' });
        expect(c.before?.tools).toContainEqual({ type: 'browser', browser: { region: 'eu' } });
        expect(p.notes).toHaveLength(1);
        expect(p.notes[0]).toMatchObject({ level: 'warning', key: 'sales' });
        expect(p.notes[0]!.message).toContain('browser');
        expect(p.notes[0]!.message).toContain('asst_sales');
      },
    },
    {
      name: 'an unknown tool on an orphan is also reported, and the orphan still deleted',
      arrange: (w) => {
        w.live.assistants.push(liveAssistant('asst_legacy', { metadata: tag('legacy'), tools: [{ type: 'web_search' }] }));
      },
      check: (p) => {
        expect(only(p, 'legacy')).toMatchObject({ action: 'delete', reason: 'orphan' });
        expect(p.notes.map((n) => [n.level, n.key])).toEqual([['warning', 'legacy']]);
      },
    },
  ]);
});

describe('createPlan: refresh-only', () => {
  table([
    {
      name: 'reports drift with before = the manifest value (it equals the applied one); manifest edits are not shown',
      arrange: (w) => {
        liveById(w, 'asst_support').name = 'Hand made';
        desiredOf(w, 'support').spec.instructions = 'New words nobody applied yet';
        desiredOf(w, 'sales').spec.model = 'gpt-4.1';
        w.desired.assistants['triage'] = desiredAssistant('triage');
        w.desired.files['faq'] = desiredFile('faq', 'faq v2');
        w.live.assistants.push(liveAssistant('asst_legacy', { metadata: tag('legacy') }));
      },
      options: { mode: 'refresh-only' },
      check: (p, w) => {
        expect(p.mode).toBe('refresh-only');
        expect(actions(p)).toEqual({ 'sales:asst_sales': 'no-op/unchanged', 'support:asst_support': 'record/drift' });
        const c = only(p, 'support');
        expect(c.changes).toEqual([{ field: 'name', before: 'Assistant support', after: 'Hand made', cause: 'drift' }]);
        expect(c.after?.name).toBe('Hand made');
        expect(c.after?.instructions).toBe(liveById(w, 'asst_support').instructions);
        expect(p.files).toEqual([]);
        // A record is not a change: apply sends nothing for it.
        expect(p.summary).toEqual({ add: 0, change: 0, destroy: 0, filesUpload: 0, filesDelete: 0 });
        expect(planHasChanges(p)).toBe(true);
      },
    },
    {
      name: 'drift on a field also edited in the manifest has an unknown (null) before',
      arrange: (w) => {
        liveById(w, 'asst_support').model = 'gpt-4o-mini';
        desiredOf(w, 'support').spec.model = 'gpt-4.1';
      },
      options: { mode: 'refresh-only' },
      check: (p) => {
        expect(only(p, 'support').changes).toEqual([{ field: 'model', before: null, after: 'gpt-4o-mini', cause: 'drift' }]);
      },
    },
    {
      name: 'without drift nothing changes; recorded objects gone are no-op gone',
      arrange: (w) => {
        w.live.assistants = w.live.assistants.filter((a) => a.id !== 'asst_sales');
        w.live.files = w.live.files.filter((f) => f.id !== 'file-guide');
        liveById(w, 'asst_support').fileIds = ['file-faq'];
        w.state!.assistants['support'] = assistantRecord(liveById(w, 'asst_support'), w.state!.files);
      },
      options: { mode: 'refresh-only' },
      check: (p) => {
        expect(actions(p)).toEqual({ 'sales:asst_sales': 'no-op/gone', 'support:asst_support': 'no-op/unchanged' });
        expect(fileActions(p)).toEqual({ guide: 'no-op/gone' });
        expect(p.summary).toEqual({ add: 0, change: 0, destroy: 0, filesUpload: 0, filesDelete: 0 });
      },
    },
  ]);

  it('an untouched world has no changes in refresh-only mode', () => {
    const p = plan(syncedWorld(), { mode: 'refresh-only' });
    expect(planHasChanges(p)).toBe(false);
    expect(p.assistants.every((a) => a.action === 'no-op' && a.reason === 'unchanged')).toBe(true);
  });
});

describe('createPlan: destroy', () => {
  table([
    {
      name: 'everything owned is deleted with reason destroy, files too; gone objects are dropped',
      arrange: (w) => {
        w.live.assistants.push(liveFromDesired('asst_support_dup', desiredOf(w, 'support'), { faq: 'file-faq', guide: 'file-guide' }, 1_700_000_900));
        w.live.assistants.push(liveAssistant('asst_legacy', { metadata: tag('legacy') }));
        w.state!.assistants['retired'] = { id: 'asst_retired', applied: w.state!.assistants['sales']!.applied, updatedAt: AT };
        w.state!.files['old'] = fileRecord('file-old', desiredFile('old'));
      },
      options: { mode: 'destroy' },
      check: (p) => {
        expect(p.mode).toBe('destroy');
        expect(actions(p)).toEqual({
          'legacy:asst_legacy': 'delete/destroy',
          'retired:asst_retired': 'no-op/gone',
          'sales:asst_sales': 'delete/destroy',
          'support:asst_support': 'delete/destroy',
          'support:asst_support_dup': 'delete/destroy',
        });
        expect(fileActions(p)).toEqual({ faq: 'delete/destroy', guide: 'delete/destroy', old: 'no-op/gone' });
        expect(p.summary).toEqual({ add: 0, change: 0, destroy: 4, filesUpload: 0, filesDelete: 2 });
        expect(p.assistants.every((a) => a.after === null)).toBe(true);
      },
    },
  ]);
});

describe('createPlan: summary and prior', () => {
  table([
    {
      name: 'summary counts each kind across a mixed plan',
      arrange: (w) => {
        w.desired.assistants['triage'] = desiredAssistant('triage');
        w.desired.assistants['billing'] = desiredAssistant('billing');
        liveById(w, 'asst_support').model = 'gpt-4o-mini';
        delete w.desired.assistants['sales'];
        w.live.assistants.push(liveAssistant('asst_legacy', { metadata: tag('legacy') }));
        w.desired.files['faq'] = desiredFile('faq', 'faq v3');
        w.state!.files['old'] = fileRecord('file-old', desiredFile('old'));
        w.live.files.push(liveFile('file-old', desiredFile('old')));
      },
      check: (p) => {
        // filesDelete: "old", and the upload the new faq replaces.
        expect(p.summary).toEqual({ add: 2, change: 1, destroy: 2, filesUpload: 1, filesDelete: 2 });
        // Plan order: manifest keys sorted, then removed keys, then orphans.
        expect(p.assistants.map((a) => a.key)).toEqual(['billing', 'support', 'triage', 'sales', 'legacy']);
      },
    },
    {
      name: 'prior holds the manifest hash, the state lineage and serial, and a fingerprint of every live object read',
      arrange: (w) => {
        w.live.assistants.push(liveAssistant('asst_legacy', { metadata: tag('legacy') }));
        w.live.assistants.push(liveAssistant('asst_foreign', { metadata: tag('x', 'blog') }));
      },
      check: (p, w) => {
        expect(p.prior.manifestHash).toBe(MANIFEST_HASH);
        expect(p.prior.lineage).toBe('lineage-1234');
        expect(p.prior.serial).toBe(7);
        const expected: Record<string, string> = {};
        for (const id of ['asst_support', 'asst_sales', 'asst_legacy']) expected[id] = hashValue(liveById(w, id));
        for (const f of w.live.files) expected[f.id] = hashValue(f);
        expect(p.prior.liveFingerprints).toEqual(expected);
        expect(p.createdAt).toBe(AT);
      },
    },
    {
      name: 'without a state file the lineage and serial are null',
      arrange: (w) => {
        w.state = null;
        w.live = { assistants: [], files: [] };
      },
      check: (p) => {
        expect(p.prior).toEqual({ manifestHash: MANIFEST_HASH, lineage: null, serial: null, liveFingerprints: {} });
        expect(actions(p)).toEqual({ 'sales:new': 'create/new', 'support:new': 'create/new' });
        expect(fileActions(p)).toEqual({ faq: 'upload/new', guide: 'upload/new' });
      },
    },
    {
      name: 'a fingerprint changes when the live object changes',
      arrange: () => {},
      check: (p) => {
        const w2 = syncedWorld();
        liveById(w2, 'asst_sales').instructions = 'x';
        const p2 = plan(w2);
        expect(p2.prior.liveFingerprints['asst_sales']).not.toBe(p.prior.liveFingerprints['asst_sales']);
        expect(p2.prior.liveFingerprints['asst_support']).toBe(p.prior.liveFingerprints['asst_support']);
      },
    },
  ]);
});

describe('planHasChanges', () => {
  const base = (): Plan => plan(syncedWorld());
  it.each([
    ['only unchanged no-ops', (p: Plan) => p, false],
    ['an update', (p: Plan) => ({ ...p, assistants: [{ ...p.assistants[0]!, action: 'update' as const, reason: 'drift' as const }] }), true],
    ['a no-op adopt (a state record to write)', (p: Plan) => ({ ...p, assistants: [{ ...p.assistants[0]!, reason: 'adopt' as const }] }), true],
    ['a no-op gone assistant (a record to drop)', (p: Plan) => ({ ...p, assistants: [{ ...p.assistants[0]!, reason: 'gone' as const }] }), true],
    ['a no-op gone file', (p: Plan) => ({ ...p, files: [{ ...p.files[0]!, reason: 'gone' as const }] }), true],
    ['a file upload', (p: Plan) => ({ ...p, files: [{ ...p.files[0]!, action: 'upload' as const }] }), true],
    ['an empty plan', (p: Plan) => ({ ...p, assistants: [], files: [] }), false],
  ])('%s -> %s', (_name, edit, expected) => {
    expect(planHasChanges(edit(base()))).toBe(expected);
  });
});

describe('createPlan: inputs are not modified', () => {
  it('leaves desired, state and live as they were', () => {
    const w = syncedWorld();
    desiredOf(w, 'support').lifecycle.ignoreChanges = ['name'];
    liveById(w, 'asst_support').name = 'by hand';
    desiredOf(w, 'sales').spec.model = 'gpt-4.1';
    const snapshot = JSON.stringify(w);
    plan(w);
    plan(w, { mode: 'refresh-only' });
    plan(w, { mode: 'destroy' });
    expect(JSON.stringify(w)).toBe(snapshot);
  });

  it('builds an empty plan from an empty world', () => {
    const p = plan({ desired: desiredState([]), state: null, live: { assistants: [], files: [] } });
    expect(p.assistants).toEqual([]);
    expect(p.files).toEqual([]);
    expect(planHasChanges(p)).toBe(false);
  });
});

describe('planProblem (src/plan/plan-schema.ts)', () => {
  it('accepts a plan the planner made', () => {
    const p = plan(syncedWorld());
    expect(planProblem(JSON.parse(JSON.stringify(p)))).toBeNull();
  });

  it('names what is wrong with a broken plan', () => {
    const p = plan(syncedWorld()) as unknown as Record<string, unknown>;
    expect(planProblem({ ...p, mode: 'sideways' })).toMatch(/mode/);
  });
});
