/**
 * A Plan as a graph of operations in dependency order: uploads before the assistants
 * that attach them; an assistant detaches a file (update or delete) before that file is
 * deleted. Operations without a path between them may run in parallel.
 */
import type { AssistantChange, FileChange, Plan } from '../plan/types.js';
import { fileNameOfLabel } from '../plan/view.js';

export type Operation =
  | { kind: 'upload'; file: FileChange }
  | { kind: 'create'; change: AssistantChange }
  | { kind: 'update'; change: AssistantChange }
  | { kind: 'delete'; change: AssistantChange }
  /** Delete a file: one removed from the manifest, or the old copy of a replaced one. */
  | { kind: 'delete-file'; name: string; id: string; replaced: boolean }
  /** State only, no request: adopt a tagged assistant, or record drift (refresh-only). */
  | { kind: 'record'; change: AssistantChange }
  /** State only: record an upload recognised as a manifest file's (plan/uploads.ts). */
  | { kind: 'adopt-file'; file: FileChange }
  /** State only: drop the record of an object deleted outside the tool. */
  | { kind: 'forget-assistant'; key: string; id: string }
  | { kind: 'forget-file'; name: string; id: string };

export interface OperationNode {
  /** Unique within the graph, readable in progress lines: `create support`. */
  id: string;
  op: Operation;
  /** Ids of nodes that must finish first. */
  deps: string[];
}

export function buildGraph(plan: Plan): OperationNode[] {
  const nodes: OperationNode[] = [];
  const uploadIdByName = new Map<string, string>();
  // Who detaches a file, by manifest name (a recorded file) or raw id (any other, a replaced upload say).
  const detachers = new Map<string, string[]>();
  const noteDetacher = (change: AssistantChange, nodeId: string): void => {
    for (const label of change.before?.files ?? []) {
      const key = fileNameOfLabel(label) ?? label;
      const list = detachers.get(key);
      if (list === undefined) detachers.set(key, [nodeId]);
      else list.push(nodeId);
    }
  };

  for (const file of plan.files) {
    if (file.action === 'upload') {
      const id = `upload ${file.name}`;
      uploadIdByName.set(file.name, id);
      nodes.push({ id, op: { kind: 'upload', file }, deps: [] });
    }
  }

  for (const change of plan.assistants) {
    switch (change.action) {
      case 'create':
      case 'update': {
        const id = `${change.action} ${change.key}`;
        const deps = (change.after?.files ?? [])
          .map((label) => uploadIdByName.get(fileNameOfLabel(label) ?? ''))
          .filter((dep): dep is string => dep !== undefined);
        // A replacement is created once the one it replaces is deleted: they carry the same ownership tag.
        const replaced = change.reason === 'replace' ? plan.assistants.find((a) => a.key === change.key && a.action === 'delete' && a.reason === 'replace') : undefined;
        if (replaced !== undefined) deps.push(`delete ${replaced.key} ${replaced.id}`);
        nodes.push({ id, op: { kind: change.action, change }, deps });
        if (change.action === 'update') noteDetacher(change, id);
        break;
      }
      case 'delete': {
        const id = `delete ${change.key} ${change.id}`;
        nodes.push({ id, op: { kind: 'delete', change }, deps: [] });
        noteDetacher(change, id);
        break;
      }
      case 'record':
        nodes.push({ id: `record ${change.key}`, op: { kind: 'record', change }, deps: [] });
        break;
      case 'no-op':
        if (change.reason === 'adopt') nodes.push({ id: `adopt ${change.key}`, op: { kind: 'record', change }, deps: [] });
        if (change.reason === 'gone' && change.id) {
          nodes.push({ id: `forget ${change.key}`, op: { kind: 'forget-assistant', key: change.key, id: change.id }, deps: [] });
        }
        break;
    }
  }

  for (const file of plan.files) {
    const replacing = file.action === 'upload' && file.id !== null;
    if (file.action === 'delete' || replacing) {
      const upload = uploadIdByName.get(file.name);
      nodes.push({
        id: `delete-file ${file.name} ${file.id}`,
        op: { kind: 'delete-file', name: file.name, id: file.id as string, replaced: replacing },
        deps: [...(upload ? [upload] : []), ...(detachers.get(file.name) ?? []), ...(detachers.get(file.id ?? '') ?? [])],
      });
    } else if (file.action === 'no-op' && file.reason === 'adopt' && file.id) {
      nodes.push({ id: `adopt-file ${file.name}`, op: { kind: 'adopt-file', file }, deps: [] });
    } else if (file.action === 'no-op' && file.reason === 'gone' && file.id) {
      nodes.push({ id: `forget-file ${file.name}`, op: { kind: 'forget-file', name: file.name, id: file.id }, deps: [] });
    }
  }
  return nodes;
}
