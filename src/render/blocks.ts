/**
 * Internal to the renderers: the Plan (in its JSON form) as blocks of signed lines, the
 * shape both the text and the Markdown renderers print. Terraform's layout: a comment
 * headline per object, then `+ assistant "key" {` with one line per attribute.
 */
import { structuredPatch } from 'diff';
import type { JsonValue } from '../json.js';
import type { AssistantField } from '../assistant-fields.js';
import { dictionary } from '../dictionary.js';
import { metadataKeyOf, metadataPath, SENSITIVE_VALUE } from '../redaction.js';
import type {
  ActionReason,
  AssistantChange,
  AssistantView,
  FieldChange,
  FileChange,
  Plan,
  PlanMode,
  SensitivePart,
} from '../plan/types.js';
import { planHasChanges, stateOnlyChanges } from '../plan/planner.js';

export type Sign = '+' | '-' | '~' | '-/+';

/** One printed line: nesting depth, the sign in front (if any), and the text after it. */
export interface Line {
  depth: number;
  sign: Sign | null;
  text: string;
  /** hunk: a unified-diff `@@` header; comment: a `# ...` remark. */
  tone: 'hunk' | 'comment' | null;
}

/** What the Markdown table shows for an object. */
export type ActionLabel =
  | 'create'
  | 'update'
  | 'destroy'
  | 'upload'
  | 'replace'
  | 'delete'
  | 'adopt'
  | 'forget'
  | 'ignore'
  | 'drift';

export interface ObjectBlock {
  kind: 'assistant' | 'file';
  key: string;
  /** null for a state-only or informational entry, which has a headline and no body. */
  sign: Sign | null;
  action: ActionLabel;
  /** e.g. `assistant "support" will be updated in-place (changed in manifest)`. */
  headline: string;
  reason: string;
  /** Changed field names (drift ones marked), for the Markdown table. */
  fields: string[];
  /** The body, from `+ assistant "key" {` to the closing brace; empty without a sign. */
  lines: Line[];
}

/** Every object the reader should see, files first (they are uploaded first), in plan order. */
export function objectBlocks(plan: Plan): ObjectBlock[] {
  const blocks: ObjectBlock[] = [];
  for (const file of plan.files) {
    const block = fileBlock(file, plan.mode);
    if (block !== null) blocks.push(block);
  }
  for (const change of plan.assistants) {
    const block = assistantBlock(change, plan);
    if (block !== null) blocks.push(block);
  }
  return blocks;
}

/** Legend entries, in Terraform's order, for the signs and actions the blocks use. */
export function legendEntries(blocks: ObjectBlock[]): Array<{ sign: Sign; meaning: string }> {
  const used = new Set(blocks.map((b) => b.action));
  const all: Array<{ sign: Sign; meaning: string; actions: ActionLabel[] }> = [
    { sign: '+', meaning: 'create', actions: ['create'] },
    { sign: '+', meaning: 'upload', actions: ['upload'] },
    { sign: '~', meaning: 'update in-place', actions: ['update'] },
    { sign: '-', meaning: 'destroy', actions: ['destroy'] },
    { sign: '-', meaning: 'delete', actions: ['delete'] },
    { sign: '-/+', meaning: 'replace (the new content is uploaded in place of the old file)', actions: ['replace'] },
  ];
  return all.filter((e) => e.actions.some((a) => used.has(a))).map(({ sign, meaning }) => ({ sign, meaning }));
}

/**
 * The summary: `Plan: ...`, `Files: ...` and `State: ...`, or the no-changes sentence, by
 * mode. "No changes" only when applying would do nothing at all (planHasChanges), the same
 * test `--detailed-exitcode` uses, so the two never disagree.
 */
export function summaryLines(plan: Plan, blocks: ObjectBlock[]): string[] {
  const changed = blocks.filter((b) => b.sign !== null).length;
  const stateOnly = stateOnlyChanges(plan);
  const stateLine = `State: ${stateOnly} ${stateOnly === 1 ? 'record' : 'records'} to update (objects adopted, or deleted outside assistants); nothing is sent.`;
  if (plan.mode === 'refresh-only') {
    if (changed === 0 && stateOnly === 0) return ['No changes. Your assistants still match the last applied state.'];
    const drift = changed === 0 ? [] : [
      `Drift: ${changed} ${changed === 1 ? 'object has' : 'objects have'} changed outside assistants. ` +
        'Applying this refresh-only plan records that in the state and changes no assistant or file.',
    ];
    return [...drift, ...(stateOnly > 0 ? [stateLine] : [])];
  }
  if (!planHasChanges(plan)) {
    return plan.mode === 'destroy'
      ? [`No changes. Nothing that project "${plan.project}" owns in environment "${plan.environment}" is left to destroy.`]
      : ['No changes. Your assistants match the manifest.'];
  }
  const s = plan.summary;
  const lines = [`Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`];
  if (plan.files.length > 0 || s.filesUpload > 0 || s.filesDelete > 0) {
    const replaced = plan.files.filter((f) => f.action === 'upload' && f.id !== null).length;
    const old = replaced === 0 ? '' : ` (${replaced === s.filesDelete ? '' : `${replaced} of them `}the old ${replaced === 1 ? 'copy of a replaced file' : 'copies of replaced files'})`;
    lines.push(`Files: ${s.filesUpload} to upload, ${s.filesDelete} to delete${old}.`);
  }
  if (stateOnly > 0) lines.push(stateLine);
  return lines;
}

/** One line to say what the plan is about. */
export function contextLine(plan: Plan): string {
  return `Project "${plan.project}", environment "${plan.environment}", endpoint ${plan.endpoint}`;
}

// ---------------------------------------------------------------------------------------
// Files

function fileBlock(file: FileChange, mode: PlanMode): ObjectBlock | null {
  const subject = `file ${quote(file.name)}`;
  const reason = reasonText(file.reason, mode);
  if (file.action === 'no-op') {
    const headline = stateOnlyHeadline('file', subject, file.id, file.reason);
    if (headline === null) return null;
    return { kind: 'file', key: file.name, sign: null, action: stateOnlyAction(file.reason), headline, reason, fields: [], lines: [] };
  }
  if (file.action === 'delete') {
    const attrs = fileAttrs(file, '-', jsonText(file.id));
    return {
      kind: 'file',
      key: file.name,
      sign: '-',
      action: 'delete',
      headline: withSuffix(`${subject} will be deleted`, file.reason === 'orphan' && mode !== 'destroy' ? 'left over: an upload of ours no longer used' : suffixFor(file.reason, mode)),
      reason,
      fields: [],
      lines: objectLines('-', subject, attrs),
    };
  }
  const replaces = file.id !== null || file.previousSha256 !== null;
  if (!replaces) {
    const attrs = fileAttrs(file, '+', KNOWN_AFTER_APPLY);
    return {
      kind: 'file',
      key: file.name,
      sign: '+',
      action: 'upload',
      headline: withSuffix(`${subject} will be uploaded`, suffixFor(file.reason, mode)),
      reason,
      fields: [],
      lines: objectLines('+', subject, attrs),
    };
  }
  const attrs: Attr[] = [
    file.id === null
      ? { sign: '+', name: 'id', value: KNOWN_AFTER_APPLY }
      : { sign: '~', name: 'id', value: `${quote(file.id)} -> ${KNOWN_AFTER_APPLY}` },
    { sign: null, name: 'filename', value: quote(file.filename) },
    ...(file.path === null ? [] : [{ sign: null, name: 'path', value: quote(file.path) }]),
    { sign: null, name: 'bytes', value: String(file.bytes) },
    file.previousSha256 === null
      ? { sign: '+', name: 'sha256', value: quote(file.sha256) }
      : { sign: '~', name: 'sha256', value: `${quote(file.previousSha256)} -> ${quote(file.sha256)}` },
  ];
  return {
    kind: 'file',
    key: file.name,
    sign: '-/+',
    action: 'replace',
    headline: withSuffix(`${subject} will be replaced`, suffixFor(file.reason, mode)),
    reason,
    fields: ['content'],
    lines: objectLines('-/+', subject, attrs),
  };
}

// ---------------------------------------------------------------------------------------
// Assistants

const FIELD_ORDER: AssistantField[] = ['model', 'name', 'description', 'instructions', 'tools', 'files', 'metadata'];

function assistantBlock(change: AssistantChange, plan: Plan): ObjectBlock | null {
  const subject = `assistant ${quote(change.key)}`;
  const reason = reasonText(change.reason, plan.mode);
  const fields = FIELD_ORDER.filter((f) => change.changes.some((c) => c.field === f)).map((f) =>
    change.changes.some((c) => c.field === f && c.cause === 'drift') && change.reason !== 'drift' ? `${f} (drift)` : f,
  );
  switch (change.action) {
    case 'create': {
      const attrs: Attr[] = [{ sign: '+', name: 'id', value: KNOWN_AFTER_APPLY }];
      if (change.after !== null) attrs.push(...viewAttrs(change.after, '+', change.sensitive));
      return {
        kind: 'assistant',
        key: change.key,
        sign: '+',
        action: 'create',
        headline: withSuffix(`${subject} will be created`, suffixFor(change.reason, plan.mode)),
        reason,
        fields: [],
        lines: objectLines('+', subject, attrs),
      };
    }
    case 'delete': {
      const attrs: Attr[] = [{ sign: '-', name: 'id', value: jsonText(change.id) }];
      if (change.before !== null) attrs.push(...viewAttrs(change.before, '-', change.sensitive));
      const suffix = change.reason === 'orphan' ? orphanSuffix(change, plan) : suffixFor(change.reason, plan.mode);
      return {
        kind: 'assistant',
        key: change.key,
        sign: '-',
        action: 'destroy',
        headline: withSuffix(`${subject} will be destroyed`, suffix),
        reason,
        fields: [],
        lines: objectLines('-', subject, attrs),
      };
    }
    case 'update':
      return {
        kind: 'assistant',
        key: change.key,
        sign: '~',
        action: 'update',
        headline: withSuffix(`${subject} will be updated in-place`, suffixFor(change.reason, plan.mode)),
        reason,
        fields,
        lines: objectLines('~', subject, updateAttrs(change)),
      };
    case 'record':
      return {
        kind: 'assistant',
        key: change.key,
        sign: '~',
        action: 'drift',
        headline: `${subject} has changed outside assistants`,
        reason,
        fields,
        lines: objectLines('~', subject, updateAttrs(change)),
      };
    case 'no-op': {
      const headline = stateOnlyHeadline('assistant', subject, change.id, change.reason);
      if (headline !== null) {
        return { kind: 'assistant', key: change.key, sign: null, action: stateOnlyAction(change.reason), headline, reason, fields: [], lines: [] };
      }
      if (change.ignored.length === 0) return null;
      return {
        kind: 'assistant',
        key: change.key,
        sign: null,
        action: 'ignore',
        headline: `${subject} differs only in ignored fields (lifecycle.ignore_changes): ${change.ignored.join(', ')}`,
        reason,
        fields: change.ignored.map((f) => `${f} (ignored)`),
        lines: [],
      };
    }
  }
}

function updateAttrs(change: AssistantChange): Attr[] {
  const attrs: Attr[] = [{ sign: null, name: 'id', value: jsonText(change.id) }];
  const mixed = change.reason !== 'drift' && change.changes.some((c) => c.cause === 'drift');
  for (const field of FIELD_ORDER) {
    for (const fc of change.changes) {
      if (fc.field !== field) continue;
      const attr = fieldChangeAttr(fc, change.sensitive);
      attrs.push(mixed && fc.cause === 'drift' ? { ...attr, note: 'changed outside assistants' } : attr);
    }
  }
  const shown = new Set<AssistantField>([...change.changes.map((c) => c.field), ...change.ignored]);
  const hidden = FIELD_ORDER.filter((f) => !shown.has(f)).length;
  if (hidden > 0) {
    attrs.push({ sign: null, name: '', value: `# (${hidden} unchanged ${hidden === 1 ? 'attribute' : 'attributes'} hidden)` });
  }
  if (change.ignored.length > 0) {
    attrs.push({ sign: null, name: '', value: `# ignored (lifecycle.ignore_changes): ${change.ignored.join(', ')}` });
  }
  return attrs;
}

function fieldChangeAttr(fc: FieldChange, sensitive: readonly SensitivePart[]): Attr {
  if (sensitive.some((part) => part.path === fc.field)) return { sign: '~', name: fc.field, value: sensitiveChangeText(fc.before, fc.after) };
  switch (fc.field) {
    case 'instructions':
      return textDiffAttr('instructions', fc.before, fc.after, 'EOT');
    case 'tools':
      if (Array.isArray(fc.before) && Array.isArray(fc.after)) {
        return { sign: '~', name: 'tools', value: '[', nested: toolsDiffLines(fc.before, fc.after), close: ']' };
      }
      break;
    case 'files':
      if (isStringArray(fc.before) && isStringArray(fc.after)) {
        return { sign: '~', name: 'files', value: '[', nested: setDiffLines(fc.before, fc.after), close: ']' };
      }
      break;
    case 'metadata': {
      const before = stringMap(fc.before);
      const after = stringMap(fc.after);
      if (before !== null && after !== null) {
        return { sign: '~', name: 'metadata', value: '{', nested: mapDiffLines(before, after, sensitiveEntries(sensitive)), close: '}' };
      }
      break;
    }
    case 'model':
    case 'name':
    case 'description':
      break;
  }
  return { sign: '~', name: fc.field, value: `${jsonText(fc.before)} -> ${jsonText(fc.after)}` };
}

/** The attributes of a whole view, for a create (`+`) or a destroy (`-`); nulls and empties left out. */
function viewAttrs(view: AssistantView, sign: '+' | '-', sensitive: readonly SensitivePart[]): Attr[] {
  const hidden = new Set(sensitive.map((part) => part.path));
  const text = (field: AssistantField, value: string): string => (hidden.has(field) ? SENSITIVE_VALUE : quote(value));
  const attrs: Attr[] = [{ sign, name: 'model', value: text('model', view.model) }];
  if (view.name !== null) attrs.push({ sign, name: 'name', value: text('name', view.name) });
  if (view.description !== null) attrs.push({ sign, name: 'description', value: text('description', view.description) });
  if (view.instructions !== null) {
    attrs.push(hidden.has('instructions') ? { sign, name: 'instructions', value: SENSITIVE_VALUE } : wholeTextAttr(sign, 'instructions', view.instructions, 'EOT'));
  }
  if (view.tools.length > 0) {
    attrs.push(
      hidden.has('tools')
        ? { sign, name: 'tools', value: SENSITIVE_VALUE }
        : { sign, name: 'tools', value: '[', nested: view.tools.flatMap((t) => wholeToolLines(t, sign)), close: ']' },
    );
  }
  if (view.files.length > 0) {
    attrs.push({ sign, name: 'files', value: '[', nested: view.files.map((f) => line(0, sign, quote(f))), close: ']' });
  }
  const keys = Object.keys(view.metadata);
  if (keys.length > 0) {
    const entries: Attr[] = keys.map((k) => ({ sign, name: quote(k), value: hidden.has(metadataPath(k)) ? SENSITIVE_VALUE : quote(view.metadata[k] ?? '') }));
    attrs.push({ sign, name: 'metadata', value: '{', nested: attrLines(0, entries), close: '}' });
  }
  return attrs;
}

/**
 * A sensitive field's change, as Terraform shows one: `(sensitive)`, or which side is
 * empty (null, no tools), which says nothing of the value.
 */
function sensitiveChangeText(before: JsonValue, after: JsonValue): string {
  const side = (value: JsonValue): string => (value === null ? 'null' : Array.isArray(value) && value.length === 0 ? '[]' : SENSITIVE_VALUE);
  const [b, a] = [side(before), side(after)];
  return b === SENSITIVE_VALUE && a === SENSITIVE_VALUE ? SENSITIVE_VALUE : `${b} -> ${a}`;
}

/** Sensitive metadata keys, each with whether the update changes it. */
function sensitiveEntries(sensitive: readonly SensitivePart[]): Map<string, boolean> {
  const entries = new Map<string, boolean>();
  for (const part of sensitive) {
    const key = metadataKeyOf(part.path);
    if (key !== null) entries.set(key, part.changed);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------
// Tools: matched by identity (a function by its name, any other tool by its type)

function toolIdentity(tool: JsonValue): string {
  const obj = asObject(tool);
  const type = obj !== null && typeof obj.type === 'string' ? obj.type : null;
  if (type === null) return `tool ${JSON.stringify(tool)}`;
  if (type === 'function') {
    const fn = asObject(obj?.function ?? null);
    const name = fn !== null && typeof fn.name === 'string' ? fn.name : '';
    return `function ${quote(name)}`;
  }
  return KNOWN_TOOL_TYPES.has(type) ? type : `${quote(type)} (unknown tool type)`;
}

const KNOWN_TOOL_TYPES = new Set(['code_interpreter', 'retrieval', 'function']);

/** A tool's attributes: a function's fields other than its name, or any other tool's fields but `type`. */
function toolFields(tool: JsonValue): Array<[string, JsonValue]> {
  const obj = asObject(tool);
  if (obj === null) return [];
  if (obj.type === 'function') {
    const fn = asObject(obj.function ?? null);
    const rest = Object.entries(obj).filter(([k]) => k !== 'type' && k !== 'function');
    return [...(fn === null ? [] : Object.entries(fn).filter(([k]) => k !== 'name')), ...rest];
  }
  return Object.entries(obj).filter(([k]) => k !== 'type');
}

function wholeToolLines(tool: JsonValue, sign: '+' | '-'): Line[] {
  const identity = toolIdentity(tool);
  const fields = toolFields(tool);
  if (fields.length === 0) return [line(0, sign, identity)];
  const attrs = fields.map(([name, value]) => wholeValueAttr(sign, name, value));
  return [line(0, sign, `${identity} {`), ...attrLines(1, attrs), line(0, null, '}')];
}

function toolsDiffLines(before: JsonValue[], after: JsonValue[]): Line[] {
  const beforeById = indexByIdentity(before);
  const afterById = indexByIdentity(after);
  const lines: Line[] = [];
  let unchanged = 0;
  for (const [id, tool] of afterById) {
    const old = beforeById.get(id);
    if (old === undefined) {
      lines.push(...wholeToolLines(tool, '+'));
    } else if (canonicalJson(old) === canonicalJson(tool)) {
      unchanged += 1;
    } else {
      lines.push(...changedToolLines(id, old, tool));
    }
  }
  for (const [id, tool] of beforeById) {
    if (!afterById.has(id)) lines.push(...wholeToolLines(tool, '-'));
  }
  if (lines.length === 0) {
    lines.push(line(0, null, '# (the same tools, in a new order)', 'comment'));
  } else if (unchanged > 0) {
    lines.push(line(0, null, `# (${unchanged} unchanged ${unchanged === 1 ? 'tool' : 'tools'} hidden)`, 'comment'));
  }
  return lines;
}

function changedToolLines(identity: string, before: JsonValue, after: JsonValue): Line[] {
  const beforeFields = new Map(toolFields(before));
  const afterFields = new Map(toolFields(after));
  const attrs: Attr[] = [];
  for (const [name, value] of afterFields) {
    const old = beforeFields.get(name);
    if (old === undefined) attrs.push(wholeValueAttr('+', name, value));
    else if (canonicalJson(old) !== canonicalJson(value)) attrs.push(changedValueAttr(name, old, value));
  }
  for (const [name, value] of beforeFields) {
    if (!afterFields.has(name)) attrs.push(wholeValueAttr('-', name, value));
  }
  return [line(0, '~', `${identity} {`), ...attrLines(1, attrs), line(0, null, '}')];
}

function indexByIdentity(tools: JsonValue[]): Map<string, JsonValue> {
  const byId = new Map<string, JsonValue>();
  for (const tool of tools) {
    const base = toolIdentity(tool);
    let id = base;
    for (let n = 2; byId.has(id); n += 1) id = `${base} #${n}`;
    byId.set(id, tool);
  }
  return byId;
}

/** A whole value: a function's `parameters` as pretty JSON, a multi-line string as a heredoc. */
function wholeValueAttr(sign: '+' | '-', name: string, value: JsonValue): Attr {
  if (name === 'parameters') {
    return { sign, name, value: '<<-JSON', nested: plainLines(prettyJson(value)), close: 'JSON' };
  }
  if (typeof value === 'string') return wholeTextAttr(sign, name, value, 'EOT');
  return { sign, name, value: jsonText(value) };
}

function changedValueAttr(name: string, before: JsonValue, after: JsonValue): Attr {
  if (name === 'parameters') {
    return { sign: '~', name, value: '<<-JSON', nested: unifiedDiffLines(prettyJson(before), prettyJson(after)), close: 'JSON' };
  }
  if (typeof before === 'string' && typeof after === 'string' && (before.includes('\n') || after.includes('\n'))) {
    return textDiffAttr(name, before, after, 'EOT');
  }
  return { sign: '~', name, value: `${jsonText(before)} -> ${jsonText(after)}` };
}

// ---------------------------------------------------------------------------------------
// Text: heredocs and unified diffs

function wholeTextAttr(sign: '+' | '-', name: string, text: string, marker: string): Attr {
  if (!text.includes('\n')) return { sign, name, value: quote(text) };
  return { sign, name, value: `<<-${marker}`, nested: plainLines(text), close: marker };
}

/** A unified diff of two texts; a null side is shown as null and diffed as empty. */
function textDiffAttr(name: string, before: JsonValue, after: JsonValue, marker: string): Attr {
  const b = typeof before === 'string' ? before : null;
  const a = typeof after === 'string' ? after : null;
  const heredoc = `<<-${marker}`;
  const value = b === null ? `null -> ${heredoc}` : a === null ? `${heredoc} -> null` : heredoc;
  return { sign: '~', name, value, nested: unifiedDiffLines(b ?? '', a ?? ''), close: marker };
}

/**
 * The hunks of a unified diff (3 lines of context), as lines signed `+`/`-`. A missing
 * final newline is marked only when it is part of the change; an empty side has no lines.
 */
function unifiedDiffLines(before: string, after: string): Line[] {
  const sameEnding = before === '' || after === '' || before.endsWith('\n') === after.endsWith('\n');
  const b = sameEnding && before !== '' && !before.endsWith('\n') ? `${before}\n` : before;
  const a = sameEnding && after !== '' && !after.endsWith('\n') ? `${after}\n` : after;
  const patch = structuredPatch('before', 'after', b, a, undefined, undefined, { context: 3 });
  const lines: Line[] = [];
  for (const hunk of patch.hunks) {
    lines.push(
      line(0, null, `@@ -${hunkRange(hunk.oldStart, hunk.oldLines)} +${hunkRange(hunk.newStart, hunk.newLines)} @@`, 'hunk'),
    );
    for (const text of hunk.lines) {
      const first = text.charAt(0);
      const rest = text.slice(1);
      if (first === '+') lines.push(line(0, '+', rest));
      else if (first === '-') lines.push(line(0, '-', rest));
      else if (first === '\\') lines.push(line(0, null, text, 'comment'));
      else lines.push(line(0, null, rest));
    }
  }
  if (lines.length === 0) lines.push(line(0, null, '# (no difference in the text)', 'comment'));
  return lines;
}

/** A hunk's range as unified diffs write it: an empty range names the line before it. */
function hunkRange(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? String(start) : `${start},${count}`;
}

function plainLines(text: string): Line[] {
  const parts = text.split('\n');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((p) => line(0, null, p));
}

// ---------------------------------------------------------------------------------------
// Sets and maps

function setDiffLines(before: string[], after: string[]): Line[] {
  const b = new Set(before);
  const a = new Set(after);
  const lines: Line[] = [
    ...after.filter((x) => !b.has(x)).map((x) => line(0, '+', quote(x))),
    ...before.filter((x) => !a.has(x)).map((x) => line(0, '-', quote(x))),
  ];
  const kept = after.filter((x) => b.has(x)).length;
  if (kept > 0) lines.push(line(0, null, `# (${kept} unchanged ${kept === 1 ? 'element' : 'elements'} hidden)`, 'comment'));
  return lines;
}

/** A map's changes; a sensitive entry (`sensitive`: key -> changed) shows (sensitive) for its values. */
function mapDiffLines(before: Record<string, string>, after: Record<string, string>, sensitive: ReadonlyMap<string, boolean>): Line[] {
  const shown = (key: string, value: string): string => (sensitive.has(key) ? SENSITIVE_VALUE : quote(value));
  const attrs: Attr[] = [];
  let kept = 0;
  for (const key of Object.keys(after)) {
    const value = after[key] ?? '';
    if (!Object.hasOwn(before, key)) attrs.push({ sign: '+', name: quote(key), value: shown(key, value) });
    else if (sensitive.has(key) ? sensitive.get(key) === true : before[key] !== value) {
      attrs.push({ sign: '~', name: quote(key), value: sensitive.has(key) ? SENSITIVE_VALUE : `${quote(before[key] ?? '')} -> ${quote(value)}` });
    } else kept += 1;
  }
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) attrs.push({ sign: '-', name: quote(key), value: shown(key, before[key] ?? '') });
  }
  if (kept > 0) attrs.push({ sign: null, name: '', value: `# (${kept} unchanged ${kept === 1 ? 'element' : 'elements'} hidden)` });
  return attrLines(0, attrs);
}

// ---------------------------------------------------------------------------------------
// Headlines and reasons

function suffixFor(reason: ActionReason, mode: PlanMode): string | null {
  if (mode === 'destroy') return null;
  switch (reason) {
    case 'changed-in-manifest':
      return 'changed in manifest';
    case 'drift':
      return 'changed outside assistants: drift';
    case 'removed-from-manifest':
      return 'removed from manifest';
    case 'orphan':
      return 'orphan: tagged as ours, not in the manifest';
    case 'adopt':
      return 'adopted: tagged as ours, missing from the state';
    case 'gone':
      return 'deleted outside assistants';
    case 'replace':
      return 'replace requested with --replace';
    case 'new':
    case 'unchanged':
    case 'destroy':
      return null;
  }
}

/** An orphan names the object its key belongs to when the plan holds one. */
function orphanSuffix(change: AssistantChange, plan: Plan): string {
  const owner = plan.assistants.find((a) => a !== change && a.key === change.key && a.id !== null && a.id !== change.id);
  if (owner !== undefined && owner.id !== null) return `orphan: duplicate of ${owner.id}`;
  return 'orphan: tagged as ours, not in the manifest';
}

function reasonText(reason: ActionReason, mode: PlanMode): string {
  if (mode === 'destroy' && reason !== 'orphan') return 'destroy requested';
  switch (reason) {
    case 'new':
      return 'new in manifest';
    case 'changed-in-manifest':
      return 'changed in manifest';
    case 'drift':
      return 'changed outside assistants (drift)';
    case 'removed-from-manifest':
      return 'removed from manifest';
    case 'orphan':
      return 'orphan';
    case 'adopt':
      return 'adopted (tagged as ours, missing from the state)';
    case 'unchanged':
      return 'unchanged';
    case 'gone':
      return 'deleted outside assistants';
    case 'destroy':
      return 'destroy requested';
    case 'replace':
      return 'replace requested';
  }
}

/** The headline of a no-op that still changes the state, or null when it changes nothing. */
function stateOnlyHeadline(kind: ObjectBlock['kind'], subject: string, id: string | null, reason: ActionReason): string | null {
  const ref = id === null ? subject : `${subject} (${id})`;
  if (reason === 'adopt' && kind === 'file') {
    return `${ref} is an upload of it attached to our assistants and will be recorded in the state instead of uploaded again`;
  }
  if (reason === 'adopt') return `${ref} is tagged as ours and will be recorded in the state; it needs no change`;
  if (reason === 'gone') return `${ref} was deleted outside assistants; its state record will be dropped`;
  return null;
}

function stateOnlyAction(reason: ActionReason): ActionLabel {
  return reason === 'adopt' ? 'adopt' : 'forget';
}

function withSuffix(text: string, suffix: string | null): string {
  return suffix === null ? text : `${text} (${suffix})`;
}

// ---------------------------------------------------------------------------------------
// Attribute lines: `name = value`, names padded to line up, nested lines one level deeper

/** A file's attributes, all under one sign: the id as given, then name, path, size and hash. */
function fileAttrs(file: FileChange, sign: Sign, id: string): Attr[] {
  return [
    { sign, name: 'id', value: id },
    { sign, name: 'filename', value: quote(file.filename) },
    ...(file.path === null ? [] : [{ sign, name: 'path', value: quote(file.path) }]),
    { sign, name: 'bytes', value: String(file.bytes) },
    { sign, name: 'sha256', value: quote(file.sha256) },
  ];
}

interface Attr {
  sign: Sign | null;
  /** Empty for a bare remark line. */
  name: string;
  value: string;
  nested?: Line[];
  close?: string;
  /** A trailing remark, e.g. which fields drifted in a mixed update. */
  note?: string;
}

const KNOWN_AFTER_APPLY = '(known after apply)';

function objectLines(sign: Sign, subject: string, attrs: Attr[]): Line[] {
  return [line(0, sign, `${subject} {`), ...attrLines(1, attrs), line(0, null, '}')];
}

function attrLines(depth: number, attrs: Attr[]): Line[] {
  const width = Math.max(0, ...attrs.filter((a) => a.name !== '').map((a) => a.name.length));
  const lines: Line[] = [];
  for (const attr of attrs) {
    if (attr.name === '') {
      lines.push(line(depth, attr.sign, attr.value, 'comment'));
      continue;
    }
    const note = attr.note === undefined ? '' : ` # ${attr.note}`;
    lines.push(line(depth, attr.sign, `${attr.name.padEnd(width)} = ${attr.value}${note}`));
    if (attr.nested !== undefined) {
      lines.push(...attr.nested.map((l) => ({ ...l, depth: l.depth + depth + 1 })));
      lines.push(line(depth, null, attr.close ?? ''));
    }
  }
  return lines;
}

function line(depth: number, sign: Sign | null, text: string, tone: Line['tone'] = null): Line {
  return { depth, sign, text, tone };
}

// ---------------------------------------------------------------------------------------
// Values

function quote(text: string): string {
  return JSON.stringify(text);
}

function jsonText(value: JsonValue): string {
  return JSON.stringify(value);
}

function prettyJson(value: JsonValue): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function asObject(value: JsonValue): { [key: string]: JsonValue } | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
}

function isStringArray(value: JsonValue): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function stringMap(value: JsonValue): Record<string, string> | null {
  const obj = asObject(value);
  if (obj === null) return null;
  const map = dictionary<string>();
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'string') return null;
    map[k] = v;
  }
  return map;
}
