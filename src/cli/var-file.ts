/**
 * `--var-file FILE`: manifest variables from a YAML or JSON file (a mapping of NAME to a
 * scalar value), as `terraform -var-file`. Read once, as the command line is read; its
 * values go under the `--var` ones, which win. A file that does not parse, or holds
 * something else than NAME: value pairs, is a positioned error.
 */
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { formatDiagnostic, type ManifestDiagnostic } from '../manifest/index.js';
import { childPointer } from '../manifest/pointer.js';
import { makeSourceFile, readSourceFile } from '../manifest/source-file.js';
import { diagnosticFor, isRecord } from '../manifest/tree.js';
import { parseYamlTree } from '../manifest/yaml-tree.js';

const MAX_VAR_FILE_BYTES = 256 * 1024;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export async function readVarFile(file: string, cwd: string): Promise<Record<string, string>> {
  const path = resolve(cwd, file);
  const read = await readSourceFile(path, { maxBytes: MAX_VAR_FILE_BYTES, what: 'a variables file' });
  if (!read.ok) {
    throw new UserError('USAGE', read.kind === 'access' ? `--var-file ${file} ${read.message}.` : `--var-file: ${formatDiagnostic(read.diagnostic, cwd)}`);
  }
  const parsed = parseYamlTree(makeSourceFile(path, read.file.text), 'the variables file');
  const problems: ManifestDiagnostic[] = parsed.ok ? [] : parsed.errors;
  const values: Record<string, string> = {};
  if (parsed.ok) {
    const { tree } = parsed;
    if (!isRecord(tree.value)) {
      problems.push(diagnosticFor(tree, '', 'a variables file is a mapping of variable names to values, such as "model: gpt-4"'));
    } else {
      for (const [name, value] of Object.entries(tree.value)) {
        if (!VARIABLE_NAME.test(name)) problems.push(diagnosticFor(tree, childPointer('', name), `"${name.slice(0, 70)}" is not a variable name (letters, digits and _)`, 'key'));
        else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[name] = String(value);
        else problems.push(diagnosticFor(tree, childPointer('', name), `${name} must be a string, a number or true/false`));
      }
    }
  }
  if (problems.length === 0) return values;
  const [first, ...rest] = problems.map((d) => formatDiagnostic(d, cwd));
  if (rest.length === 0) throw new UserError('USAGE', `--var-file: ${first ?? file}`);
  throw new UserError('USAGE', `--var-file ${file}: ${problems.length} problems.`, [first ?? '', ...rest]);
}
