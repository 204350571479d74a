/**
 * Interpolation: `${var.NAME}` and `${environment}` in the string fields that take them;
 * `$${` writes a literal `${`. A variable's value comes from `--var NAME=VALUE`, else the
 * environment's `variables:`, else the process environment variable ASSISTANTS_VAR_NAME,
 * else its `default` (Terraform's order for -var, tfvars, TF_VAR_NAME and default).
 *
 * That prefix is the only way the process environment reaches a manifest: a manifest,
 * which a pull request may edit, can never name GITHUB_TOKEN or the API key. `${env.X}`
 * is parsed only to say so, where it is written. A field made with a `sensitive: true`
 * variable is sensitive; its pointer is returned so that it is never shown.
 */
import type { JsonValue } from '../json.js';
import type { ManifestDiagnostic } from './diagnostics.js';
import { childPointer, pointerOf } from './pointer.js';
import { diagnosticAt } from './source-file.js';
import { SENSITIVE_VALUE } from '../redaction.js';
import { secretWordIn } from './secret-names.js';
import { didYouMean } from './suggest.js';
import { defineEntry, diagnosticFor, entriesOf, isRecord, originOf, type Tree } from './tree.js';

export type Expression =
  | { kind: 'var'; name: string }
  /** Not a value: parsed only to report that a manifest may not read the environment. */
  | { kind: 'env'; name: string }
  | { kind: 'environment' };

type Segment = { literal: string } | { expression: Expression; raw: string };

interface TemplateError {
  raw: string;
  message: string;
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const EXPRESSION = new RegExp(`^(?:var\\.(${NAME})|env\\.(${NAME})(?::-[^}]*)?|(environment))$`);
const SYNTAX_HELP = 'use ${var.NAME} or ${environment}; write $${ for a literal ${';

/** A declared variable NAME takes its value from this environment variable plus NAME, like TF_VAR_NAME. */
export const VARIABLE_ENV_PREFIX = 'ASSISTANTS_VAR_';

const ENV_HELP =
  `a manifest reads it only through a declared variable: declare one under variables: (sensitive: true for a secret), write \${var.NAME} here, and set ${VARIABLE_ENV_PREFIX}NAME`;

export function parseTemplate(text: string): { segments: Segment[]; errors: TemplateError[] } {
  const segments: Segment[] = [];
  const errors: TemplateError[] = [];
  // Most strings hold no template at all (nor, then, a `$${`): one literal.
  if (!text.includes('${')) {
    if (text !== '') segments.push({ literal: text });
    return { segments, errors };
  }
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      errors.push({ raw: text.slice(i), message: `unclosed "\${": add the closing "}" (${SYNTAX_HELP})` });
      literal += text.slice(i);
      break;
    }
    const raw = text.slice(i, close + 1);
    const match = EXPRESSION.exec(text.slice(i + 2, close));
    if (match === null) {
      errors.push({ raw, message: `cannot interpolate "${raw}": ${SYNTAX_HELP}` });
      literal += raw;
    } else {
      if (literal !== '') segments.push({ literal });
      literal = '';
      const [, varName, envName] = match;
      const expression: Expression =
        varName !== undefined
          ? { kind: 'var', name: varName }
          : envName !== undefined
            ? { kind: 'env', name: envName }
            : { kind: 'environment' };
      segments.push({ expression, raw });
    }
    i = close + 1;
  }
  if (literal !== '') segments.push({ literal });
  return { segments, errors };
}

/** `text` as a template that interpolates to exactly `text`: every `${` written `$${`. */
export function escapeTemplate(text: string): string {
  // A function, because in a replacement string `$$` means one `$`.
  return text.replaceAll('${', () => '$${');
}

const ASSISTANT_FIELDS = new Set(['name', 'model', 'description', 'instructions', 'instructions_file']);

/**
 * Whether the string at these segments is interpolated. Identifiers (keys, function
 * names, tool types, file references, lifecycle) and inline `parameters` are literal.
 * Environment overrides follow the field they override.
 */
export function isInterpolated(segments: readonly string[]): 'value' | 'variable' | false {
  const [first, second, third, ...rest] = segments;
  if (first === 'variables') return third === 'default' && rest.length === 0 ? 'variable' : false;
  if (first === 'environments') {
    if (third === 'variables') return rest.length === 1 ? 'variable' : false;
    return third === undefined ? false : isInterpolated([third, ...rest]) === 'value' ? 'value' : false;
  }
  if (first === 'files') return third === 'path' && rest.length === 0 ? 'value' : false;
  if (first !== 'assistants' || second === undefined || third === undefined) return false;
  if (rest.length === 0) return ASSISTANT_FIELDS.has(third) ? 'value' : false;
  if (third === 'metadata') return rest.length === 1 ? 'value' : false;
  if (third === 'tools') {
    const [, fn, field, ...extra] = rest;
    return fn === 'function' && (field === 'description' || field === 'parameters_file') && extra.length === 0 ? 'value' : false;
  }
  return false;
}

/** A declared variable as this environment resolves it. */
export interface ResolvedVariable {
  /** null: declared, but without a value (already reported where it is declared). */
  value: string | null;
  sensitive: boolean;
}

export interface InterpolationResult {
  tree: Tree;
  errors: ManifestDiagnostic[];
  warnings: ManifestDiagnostic[];
  /** Every declared variable, by name: what the manifest hash is made of. */
  variables: Map<string, ResolvedVariable>;
  /** Pointers (in the merged tree) of the fields made with a sensitive variable. */
  sensitive: Set<string>;
  /** Pointers (in the merged tree) of the fields that could not be interpolated (reported). */
  failed: Set<string>;
}

interface Resolver {
  variables: Map<string, ResolvedVariable>;
  environment: string;
}

/** Position of the n-th occurrence of `raw` inside a string node, else the node's start. */
function diagnosticInString(tree: Tree, pointer: string, raw: string, occurrence: number, message: string): ManifestDiagnostic {
  const origin = originOf(tree, pointer);
  if (origin === undefined) return diagnosticFor(tree, pointer, message);
  const slice = origin.source.text.slice(origin.start, origin.end ?? origin.start);
  let index = -1;
  for (let n = 0; n <= occurrence; n++) {
    index = slice.indexOf(raw, index + 1);
    if (index < 0) break;
  }
  return diagnosticAt(origin.source, index < 0 ? origin.start : origin.start + index, message, origin.pointer);
}

/** The text of a template, and whether a sensitive variable went into it. */
function render(
  tree: Tree,
  pointer: string,
  text: string,
  resolver: Resolver,
  allowVars: boolean,
  errors: ManifestDiagnostic[],
): { text: string; sensitive: boolean } {
  const { segments, errors: syntax } = parseTemplate(text);
  const seen = new Map<string, number>();
  const occurrence = (raw: string): number => {
    const n = seen.get(raw) ?? 0;
    seen.set(raw, n + 1);
    return n;
  };
  for (const error of syntax) errors.push(diagnosticInString(tree, pointer, error.raw, occurrence(error.raw), error.message));
  let result = '';
  let sensitive = false;
  for (const segment of segments) {
    if ('literal' in segment) {
      result += segment.literal;
      continue;
    }
    const { expression, raw } = segment;
    const n = occurrence(raw);
    if (expression.kind === 'environment') {
      result += resolver.environment;
    } else if (expression.kind === 'env') {
      result += raw;
      errors.push(diagnosticInString(tree, pointer, raw, n, `"${raw}" reads the process environment; ${ENV_HELP}`));
    } else if (!allowVars) {
      result += raw;
      errors.push(diagnosticInString(tree, pointer, raw, n, `a variable's value cannot use "${raw}": only \${environment} is allowed here`));
    } else {
      const variable = resolver.variables.get(expression.name);
      if (variable?.sensitive) sensitive = true;
      if (typeof variable?.value === 'string') result += variable.value;
      else if (variable !== undefined) result += raw;
      else {
        result += raw;
        const names = [...resolver.variables.keys()];
        errors.push(
          diagnosticInString(tree, pointer, raw, n, `undefined variable "${expression.name}" (not declared under variables)${didYouMean(expression.name, names)}`),
        );
      }
    }
  }
  return { text: result, sensitive };
}

/**
 * Calls `found` with each string under `value` that holds a template (`${`) and is
 * interpolated, and its segments (`at` and below; the array is reused: copy to keep it).
 */
export function forEachTemplate(value: JsonValue, at: string[], found: (text: string, segments: readonly string[]) => void): void {
  if (typeof value === 'string') {
    if (value.includes('${') && isInterpolated(at) !== false) found(value, at);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      at.push(String(i));
      forEachTemplate(value[i]!, at, found);
      at.pop();
    }
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) {
      at.push(key);
      forEachTemplate(value[key]!, at, found);
      at.pop();
    }
  }
}

/** Names of every `${var.NAME}` in interpolated fields anywhere in the manifest. */
function usedVariables(tree: Tree): Set<string> {
  const used = new Set<string>();
  forEachTemplate(tree.value, [], (text) => {
    for (const segment of parseTemplate(text).segments) {
      if ('expression' in segment && segment.expression.kind === 'var') used.add(segment.expression.name);
    }
  });
  return used;
}

/** Paths are shown in plans and name files on disk: a secret has no place in one. */
function isPathField(segments: readonly string[]): boolean {
  const [first, , third, , fifth, sixth] = segments;
  if (first === 'files') return segments.length === 3 && third === 'path';
  if (first !== 'assistants') return false;
  return (segments.length === 3 && third === 'instructions_file') || (segments.length === 6 && fifth === 'function' && sixth === 'parameters_file');
}

/**
 * Resolves variables for `environment` (from `raw`, the manifest before merging) and
 * interpolates every interpolated field of `merged`. A value given on the command line
 * (`--var NAME=VALUE`, taken literally) wins over the environment's, which wins over
 * ASSISTANTS_VAR_NAME, which wins over the default.
 */
export function interpolate(
  raw: Tree,
  merged: Tree,
  environment: string,
  processEnv: NodeJS.ProcessEnv,
  given: Readonly<Record<string, string>> = {},
): InterpolationResult {
  const errors: ManifestDiagnostic[] = [];
  const warnings: ManifestDiagnostic[] = [];
  const resolver: Resolver = { variables: new Map(), environment };
  const root = isRecord(raw.value) ? raw.value : {};
  const envOverrides = isRecord(root.environments) && Object.hasOwn(root.environments, environment) ? root.environments[environment] : undefined;
  const envVariables = isRecord(envOverrides) ? envOverrides.variables : undefined;
  const used = usedVariables(raw);

  for (const [name, declaration] of entriesOf(root.variables)) {
    const declared = childPointer('/variables', name);
    const override = isRecord(envVariables) && Object.hasOwn(envVariables, name) ? envVariables[name] : undefined;
    const fallback = isRecord(declaration) ? declaration.default : undefined;
    const sensitive = isRecord(declaration) && declaration.sensitive === true;
    const fromProcess = processEnv[`${VARIABLE_ENV_PREFIX}${name}`];
    const secretWord = secretWordIn(name);
    if (secretWord !== null && !sensitive) {
      errors.push(
        diagnosticFor(raw, declared, `variable "${name}" is named like a secret ("${secretWord}"): declare it sensitive: true so its value is shown as ${SENSITIVE_VALUE} and kept out of plans and state`, 'key'),
      );
    }
    // The default is checked even where something else sets the variable: it is wrong everywhere.
    const defaultValue = typeof fallback === 'string' ? render(raw, childPointer(declared, 'default'), fallback, resolver, false, errors).text : undefined;
    let value: string | null = null;
    if (Object.hasOwn(given, name)) {
      value = given[name] as string;
    } else if (typeof override === 'string') {
      const pointer = childPointer(childPointer(childPointer('/environments', environment), 'variables'), name);
      value = render(raw, pointer, override, resolver, false, errors).text;
    } else if (fromProcess !== undefined) {
      value = fromProcess;
    } else if (defaultValue !== undefined) {
      value = defaultValue;
    } else if (used.has(name)) {
      errors.push(
        diagnosticFor(
          raw,
          declared,
          `variable "${name}" has no value in environment "${environment}": give it a default, set it under the environment's variables:, pass --var ${name}=VALUE or set ${VARIABLE_ENV_PREFIX}${name}`,
          'key',
        ),
      );
    }
    resolver.variables.set(name, { value, sensitive });
    if (!used.has(name)) warnings.push(diagnosticFor(raw, declared, `variable "${name}" is declared but never used`, 'key'));
  }
  const declaredNames = entriesOf(root.variables).map(([name]) => name);
  for (const name of Object.keys(given)) {
    if (!declaredNames.includes(name)) {
      errors.push(diagnosticFor(raw, '', `--var ${name}: the manifest declares no variable "${name}" under variables:, so it cannot be set${didYouMean(name, declaredNames)}`));
    }
  }

  const sensitive = new Set<string>();
  const failed = new Set<string>();
  // `segments`: where `value` is, one array pushed and popped on the way down; a pointer is made only for an interpolated string.
  const segments: string[] = [];
  // Copy on write: a node comes back as it is unless something under it was interpolated (most
  // manifests have a few templates in thousands of strings; nothing downstream changes a tree).
  const visit = (value: JsonValue): JsonValue => {
    if (typeof value === 'string') {
      // No template, nor then a `$${`: what render would give back.
      if (!value.includes('${') || isInterpolated(segments) !== 'value') return value;
      const pointer = pointerOf(segments);
      const reported = errors.length;
      const rendered = render(merged, pointer, value, resolver, true, errors);
      if (errors.length > reported) failed.add(pointer);
      if (rendered.sensitive) {
        sensitive.add(pointer);
        if (isPathField(segments)) {
          errors.push(diagnosticFor(merged, pointer, `${segments.at(-1) ?? 'a path'} uses a sensitive variable; a path is shown in plans, so it cannot hold a secret`));
        }
      }
      return rendered.text;
    }
    if (Array.isArray(value)) {
      let copy: JsonValue[] | undefined;
      for (let i = 0; i < value.length; i++) {
        segments.push(String(i));
        const item = visit(value[i]!);
        segments.pop();
        if (item !== value[i]) (copy ??= value.slice())[i] = item;
      }
      return copy ?? value;
    }
    if (!isRecord(value)) return value;
    let copy: { [key: string]: JsonValue } | undefined;
    for (const [key, item] of Object.entries(value)) {
      // Variables were resolved above; environments are already merged in.
      if (segments.length === 0 && (key === 'variables' || key === 'environments')) continue;
      segments.push(key);
      const interpolated = visit(item);
      segments.pop();
      if (interpolated === item) continue;
      if (copy === undefined) {
        copy = {};
        for (const [k, v] of Object.entries(value)) defineEntry(copy, k, v);
      }
      defineEntry(copy, key, interpolated);
    }
    return copy ?? value;
  };
  const result = visit(merged.value);
  return { tree: { value: result, origins: merged.origins }, errors, warnings, variables: resolver.variables, sensitive, failed };
}
