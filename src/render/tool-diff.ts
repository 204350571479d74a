/** Internal to the renderers: tools, matched by identity (a function by its name, any other tool by its type). */
import { KNOWN_TOOL_TYPES } from '../assistant-fields.js';
import { sameCanonicalJson } from '../canonical-json.js';
import type { JsonValue } from '../json.js';
import { asObject, attrLines, jsonText, line, prettyJson, quote, type Attr, type Line } from './lines.js';
import { plainLines, textDiffAttr, unifiedDiffLines, wholeTextAttr } from './text-diff.js';

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

export function wholeToolLines(tool: JsonValue, sign: '+' | '-'): Line[] {
  const identity = toolIdentity(tool);
  const fields = toolFields(tool);
  if (fields.length === 0) return [line(0, sign, identity)];
  const attrs = fields.map(([name, value]) => wholeValueAttr(sign, name, value));
  return [line(0, sign, `${identity} {`), ...attrLines(1, attrs), line(0, null, '}')];
}

export function toolsDiffLines(before: JsonValue[], after: JsonValue[]): Line[] {
  const beforeById = indexByIdentity(before);
  const afterById = indexByIdentity(after);
  const lines: Line[] = [];
  let unchanged = 0;
  for (const [id, tool] of afterById) {
    const old = beforeById.get(id);
    if (old === undefined) {
      lines.push(...wholeToolLines(tool, '+'));
    } else if (sameCanonicalJson(old, tool)) {
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
    else if (!sameCanonicalJson(old, value)) attrs.push(changedValueAttr(name, old, value));
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
