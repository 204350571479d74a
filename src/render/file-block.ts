/** Internal to the renderers: a file change as an object block. */
import type { FileChange, PlanMode } from '../plan/types.js';
import { changesState, reasonText, stateOnlyAction, stateOnlyHeadline, suffixFor, withSuffix } from './headlines.js';
import { KNOWN_AFTER_APPLY, jsonText, objectLines, quote, type ActionLabel, type Attr, type ObjectBlock, type Sign } from './lines.js';

export function fileBlock(file: FileChange, mode: PlanMode): ObjectBlock | null {
  if (file.action === 'no-op' && !changesState(file.reason)) return null;
  const subject = `file ${quote(file.name)}`;
  const reason = reasonText(file.reason, mode);
  const block = (sign: Sign, action: ActionLabel, headline: string, attrs: Attr[]): ObjectBlock => ({
    kind: 'file',
    key: file.name,
    sign,
    action,
    headline,
    reason,
    fields: action === 'replace' ? ['content'] : [],
    lines: objectLines(sign, subject, attrs),
  });
  if (file.action === 'no-op') {
    const headline = stateOnlyHeadline('file', subject, file.id, file.reason);
    if (headline === null) return null;
    return { kind: 'file', key: file.name, sign: null, action: stateOnlyAction(file.reason), headline, reason, fields: [], lines: [] };
  }
  if (file.action === 'delete') {
    const suffix = file.reason === 'orphan' && mode !== 'destroy' ? 'left over: an upload of ours no longer used' : suffixFor(file.reason, mode);
    return block('-', 'delete', withSuffix(`${subject} will be deleted`, suffix), fileAttrs(file, '-', jsonText(file.id)));
  }
  const replaces = file.id !== null || file.previousSha256 !== null;
  if (!replaces) {
    return block('+', 'upload', withSuffix(`${subject} will be uploaded`, suffixFor(file.reason, mode)), fileAttrs(file, '+', KNOWN_AFTER_APPLY));
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
  return block('-/+', 'replace', withSuffix(`${subject} will be replaced`, suffixFor(file.reason, mode)), attrs);
}

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
