/** Internal to the renderers: an assistant change as an object block. */
import type { JsonValue } from '../json.js';
import { ASSISTANT_FIELDS, type AssistantField } from '../assistant-fields.js';
import { metadataKeyOf, metadataPath, SENSITIVE_VALUE } from '../redaction.js';
import type { AssistantChange, AssistantView, FieldChange, Plan, SensitivePart } from '../plan/types.js';
import { mapDiffLines, setDiffLines } from './collection-diff.js';
import { changesState, orphanSuffix, reasonText, stateOnlyAction, stateOnlyHeadline, suffixFor, withSuffix } from './headlines.js';
import { KNOWN_AFTER_APPLY, attrLines, isStringArray, jsonText, line, objectLines, quote, stringMap, type Attr, type ObjectBlock } from './lines.js';
import { textDiffAttr, wholeTextAttr } from './text-diff.js';
import { toolsDiffLines, wholeToolLines } from './tool-diff.js';

/** `withId`: the plan's assistantsWithIdByKey (headlines.ts), which an orphan's headline reads. */
export function assistantBlock(change: AssistantChange, plan: Plan, withId: ReadonlyMap<string, readonly AssistantChange[]>): ObjectBlock | null {
  // Settled before any text is made: a no-change plan of thousands of assistants shows none of them.
  if (change.action === 'no-op' && change.ignored.length === 0 && !changesState(change.reason)) return null;
  const subject = `assistant ${quote(change.key)}`;
  const reason = reasonText(change.reason, plan.mode);
  const fields = ASSISTANT_FIELDS.filter((f) => change.changes.some((c) => c.field === f)).map((f) =>
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
      const suffix = change.reason === 'orphan' ? orphanSuffix(change, withId) : suffixFor(change.reason, plan.mode);
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
  for (const field of ASSISTANT_FIELDS) {
    for (const fc of change.changes) {
      if (fc.field !== field) continue;
      const attr = fieldChangeAttr(fc, change.sensitive);
      attrs.push(mixed && fc.cause === 'drift' ? { ...attr, note: 'changed outside assistants' } : attr);
    }
  }
  const shown = new Set<AssistantField>([...change.changes.map((c) => c.field), ...change.ignored]);
  const hidden = ASSISTANT_FIELDS.filter((f) => !shown.has(f)).length;
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
