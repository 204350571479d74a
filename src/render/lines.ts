/**
 * Internal to the renderers: the shapes they print (signed lines, object blocks) and how
 * attributes become lines: `name = value`, names padded to line up, nested lines one level
 * deeper. Values are quoted as JSON.
 */
import type { JsonValue } from '../json.js';
import { dictionary } from '../dictionary.js';

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

export interface Attr {
  sign: Sign | null;
  /** Empty for a bare remark line. */
  name: string;
  value: string;
  nested?: Line[];
  close?: string;
  /** A trailing remark, e.g. which fields drifted in a mixed update. */
  note?: string;
}

export const KNOWN_AFTER_APPLY = '(known after apply)';

export function objectLines(sign: Sign, subject: string, attrs: Attr[]): Line[] {
  return [line(0, sign, `${subject} {`), ...attrLines(1, attrs), line(0, null, '}')];
}

export function attrLines(depth: number, attrs: Attr[]): Line[] {
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

export function line(depth: number, sign: Sign | null, text: string, tone: Line['tone'] = null): Line {
  return { depth, sign, text, tone };
}

export function quote(text: string): string {
  return JSON.stringify(text);
}

export function jsonText(value: JsonValue): string {
  return JSON.stringify(value);
}

export function prettyJson(value: JsonValue): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}


export function asObject(value: JsonValue): { [key: string]: JsonValue } | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
}

export function isStringArray(value: JsonValue): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

export function stringMap(value: JsonValue): Record<string, string> | null {
  const obj = asObject(value);
  if (obj === null) return null;
  const map = dictionary<string>();
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'string') return null;
    map[k] = v;
  }
  return map;
}
