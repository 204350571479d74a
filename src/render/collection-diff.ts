/** Internal to the renderers: the changes of a set (an assistant's files) and of a map (metadata). */
import { SENSITIVE_VALUE } from '../redaction.js';
import { attrLines, line, quote, type Attr, type Line } from './lines.js';

export function setDiffLines(before: string[], after: string[]): Line[] {
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
export function mapDiffLines(before: Record<string, string>, after: Record<string, string>, sensitive: ReadonlyMap<string, boolean>): Line[] {
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
