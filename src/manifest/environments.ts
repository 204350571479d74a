/**
 * Environments: which one applies, and the manifest with its overrides merged in.
 * Mappings merge key by key; strings, lists and everything else replace. Setting
 * `instructions` drops an inherited `instructions_file`, and the other way round.
 */
import type { JsonValue } from '../json.js';
import { DEFAULT_ENVIRONMENT } from '../default-environment.js';
import type { ManifestDiagnostic } from './diagnostics.js';
import { childPointer } from './pointer.js';
import { didYouMean } from './suggest.js';
import { defineEntry, diagnosticFor, entriesOf, isRecord, type Tree } from './tree.js';


export function declaredEnvironments(tree: Tree): string[] {
  return isRecord(tree.value) ? entriesOf(tree.value.environments).map(([name]) => name) : [];
}

export type EnvironmentChoice = { ok: true; name: string } | { ok: false; error: ManifestDiagnostic };

/**
 * `--env NAME` must be declared (or be `default` when none are). Without `--env`, a
 * manifest with environments uses the one named `default`, else it is an error that
 * lists the choices: guessing which account to change would be worse.
 */
export function chooseEnvironment(tree: Tree, requested: string | undefined): EnvironmentChoice {
  const names = declaredEnvironments(tree);
  if (names.length === 0) {
    if (requested === undefined || requested === DEFAULT_ENVIRONMENT) return { ok: true, name: DEFAULT_ENVIRONMENT };
    return {
      ok: false,
      error: diagnosticFor(tree, '', `unknown environment "${requested}": this manifest declares no environments:, so its only environment is "${DEFAULT_ENVIRONMENT}"`),
    };
  }
  const list = names.map((n) => `"${n}"`).join(', ');
  if (requested === undefined) {
    if (names.includes(DEFAULT_ENVIRONMENT)) return { ok: true, name: DEFAULT_ENVIRONMENT };
    return {
      ok: false,
      error: diagnosticFor(tree, '/environments', `choose an environment with --env: this manifest declares ${list}`, 'key'),
    };
  }
  if (names.includes(requested)) return { ok: true, name: requested };
  return {
    ok: false,
    error: diagnosticFor(tree, '/environments', `unknown environment "${requested}"; this manifest declares ${list}${didYouMean(requested, names)}`, 'key'),
  };
}

/** Overrides must name assistants, files and variables that the manifest declares. */
export function checkEnvironmentReferences(tree: Tree): ManifestDiagnostic[] {
  const root = tree.value;
  if (!isRecord(root)) return [];
  const diagnostics: ManifestDiagnostic[] = [];
  for (const [env, overrides] of entriesOf(root.environments)) {
    for (const section of ['assistants', 'files', 'variables'] as const) {
      const declared = isRecord(root[section]) ? root[section] : {};
      for (const [name] of entriesOf(isRecord(overrides) ? overrides[section] : undefined)) {
        if (Object.hasOwn(declared, name)) continue;
        const pointer = childPointer(childPointer(childPointer('/environments', env), section), name);
        const singular = section.slice(0, -1);
        diagnostics.push(
          diagnosticFor(tree, pointer, `environment "${env}" sets ${singular} "${name}", which is not declared under the top-level ${section}${didYouMean(name, Object.keys(declared))}`, 'key'),
        );
      }
    }
  }
  return diagnostics;
}

/** A list's items or a mapping's entries, with the pointer segment of each. */
function childrenOf(value: JsonValue): Array<[string | number, JsonValue]> {
  if (Array.isArray(value)) return value.map((item, index) => [index, item]);
  return entriesOf(value);
}

function clone(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(clone);
  if (!isRecord(value)) return value;
  const copy: { [key: string]: JsonValue } = {};
  for (const [key, item] of Object.entries(value)) defineEntry(copy, key, clone(item));
  return copy;
}

const EXCLUSIVE = new Map([
  ['instructions', 'instructions_file'],
  ['instructions_file', 'instructions'],
]);

/** The environment's `endpoint:` as written, when it names one (checked by the schema). */
export function environmentEndpoint(tree: Tree, environment: string): string | undefined {
  const environments = isRecord(tree.value) ? tree.value.environments : undefined;
  const overrides = isRecord(environments) && Object.hasOwn(environments, environment) ? environments[environment] : undefined;
  const endpoint = isRecord(overrides) ? overrides.endpoint : undefined;
  return typeof endpoint === 'string' ? endpoint : undefined;
}

/** The manifest as the environment sees it: its overrides merged into the top level. */
export function applyEnvironment(tree: Tree, environment: string): Tree {
  const root = tree.value;
  const overrides = isRecord(root) && isRecord(root.environments) && Object.hasOwn(root.environments, environment) ? root.environments[environment] : undefined;
  // Nothing to merge: the manifest as it is (nothing downstream changes a tree; interpolation copies it).
  if (!isRecord(overrides) || (entriesOf(overrides.assistants).length === 0 && entriesOf(overrides.files).length === 0)) return tree;
  const value = clone(tree.value);
  const origins = new Map(tree.origins);
  if (!isRecord(value)) return { value, origins };
  const envPointer = childPointer('/environments', environment);

  // Origins are keyed by the pointers of the value's nodes, so the origins within a node are
  // found by walking the node, not by scanning every origin (which made many overrides quadratic).
  const forgetOrigins = (node: JsonValue, pointer: string): void => {
    origins.delete(pointer);
    for (const [segment, child] of childrenOf(node)) forgetOrigins(child, childPointer(pointer, segment));
  };
  const copyOrigins = (node: JsonValue, from: string, to: string): void => {
    const origin = tree.origins.get(from);
    if (origin !== undefined) origins.set(to, origin);
    for (const [segment, child] of childrenOf(node)) copyOrigins(child, childPointer(from, segment), childPointer(to, segment));
  };

  const replace = (target: { [key: string]: JsonValue }, field: string, replacement: JsonValue, to: string, from: string): void => {
    const replaced = Object.hasOwn(target, field) ? target[field] : undefined;
    if (replaced !== undefined) forgetOrigins(replaced, to);
    defineEntry(target, field, clone(replacement));
    copyOrigins(replacement, from, to);
  };

  const merge = (target: { [key: string]: JsonValue }, to: string, override: JsonValue, from: string): void => {
    for (const [field, replacement] of entriesOf(override)) {
      const fieldTo = childPointer(to, field);
      const fieldFrom = childPointer(from, field);
      const current = Object.hasOwn(target, field) ? target[field] : undefined;
      if (isRecord(current) && isRecord(replacement)) {
        merge(current, fieldTo, replacement, fieldFrom);
        continue;
      }
      const other = EXCLUSIVE.get(field);
      const dropped = other !== undefined && Object.hasOwn(target, other) ? target[other] : undefined;
      if (other !== undefined && dropped !== undefined) {
        forgetOrigins(dropped, childPointer(to, other));
        delete target[other];
      }
      replace(target, field, replacement, fieldTo, fieldFrom);
    }
  };

  for (const section of ['assistants', 'files'] as const) {
    const declared = value[section];
    if (!isRecord(declared)) continue;
    for (const [name, override] of entriesOf(overrides[section])) {
      const target = Object.hasOwn(declared, name) ? declared[name] : undefined;
      if (!isRecord(target)) continue;
      const to = childPointer(childPointer('', section), name);
      merge(target, to, override, childPointer(childPointer(envPointer, section), name));
    }
  }
  return { value, origins };
}


