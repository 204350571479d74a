import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifest, type DesiredState } from '../../src/manifest/index.js';
import { parseTemplate } from '../../src/manifest/interpolate.js';
import { folderWith, loadIn, removeFolders, type LoadIn } from './helpers.js';

afterAll(removeFolders);

async function desiredIn(dir: string, options: LoadIn = {}): Promise<DesiredState> {
  const result = await loadIn(dir, options);
  if (!result.ok) throw new Error(result.errors.map((d) => formatDiagnostic(d, dir)).join('\n'));
  return result.desired;
}

const header = 'version: 1\nproject: demo\n';

describe('interpolation', () => {
  it('parses templates into literals and expressions, with $${ as a literal ${', () => {
    expect(parseTemplate('a $${var.x} ${var.x}-${env.HOME:-/root}${environment}').segments).toEqual([
      { literal: 'a ${var.x} ' },
      { expression: { kind: 'var', name: 'x' }, raw: '${var.x}' },
      { literal: '-' },
      { expression: { kind: 'env', name: 'HOME', fallback: '/root' }, raw: '${env.HOME:-/root}' },
      { expression: { kind: 'environment' }, raw: '${environment}' },
    ]);
  });

  it('resolves variables, process environment (with defaults) and the environment name', async () => {
    const dir = await folderWith({
      'assistants.yaml': `${header}variables:\n  model: {default: gpt-4}\nenvironments:\n  dev:\n    variables:\n      model: "\${env.DEV_MODEL:-gpt-3.5-turbo}"\nassistants:\n  helper:\n    model: \${var.model}\n    name: "Helper \${environment} for \${env.TEAM}, cost $\${price}"\n    metadata:\n      owner: \${env.OWNER:-nobody}\n`,
    });
    const dev = await desiredIn(dir, { env: 'dev', processEnv: { TEAM: 'support', OWNER: '' } });
    expect(dev.assistants.helper?.spec).toMatchObject({ model: 'gpt-3.5-turbo', name: 'Helper dev for support, cost ${price}', metadata: { owner: 'nobody' } });
    const devOverride = await desiredIn(dir, { env: 'dev', processEnv: { TEAM: 'support', DEV_MODEL: 'gpt-4-turbo' } });
    expect(devOverride.assistants.helper?.spec.model).toBe('gpt-4-turbo');
    expect(devOverride.manifestHash).not.toBe(dev.manifestHash);
  });

  it('leaves identifiers and inline parameters literal', async () => {
    const dir = await folderWith({
      'assistants.yaml': `${header}assistants:\n  helper:\n    model: gpt-4\n    tools:\n      - type: function\n        function:\n          name: f\n          parameters:\n            type: object\n            description: "costs \${price}"\n`,
    });
    const desired = await desiredIn(dir);
    expect(desired.assistants.helper?.spec.tools).toEqual([{ type: 'function', function: { name: 'f', parameters: { type: 'object', description: 'costs ${price}' } } }]);
  });
});

describe('environments', () => {
  it('uses the environment named default when no --env is given', async () => {
    const dir = await folderWith({
      'assistants.yaml': `${header}environments:\n  default: {}\n  prod:\n    assistants:\n      helper: {model: gpt-4}\nassistants:\n  helper:\n    model: gpt-3.5-turbo\n`,
    });
    expect((await desiredIn(dir)).environment).toBe('default');
    expect((await desiredIn(dir, { env: 'prod' })).assistants.helper?.spec.model).toBe('gpt-4');
  });

  it('merges mappings, replaces lists, and lets instructions replace an inherited instructions_file', async () => {
    const dir = await folderWith({
      'prompt.md': 'From the file.',
      'faq.md': 'faq',
      'prod-faq.md': 'prod faq',
      'assistants.yaml': `${header}environments:\n  prod:\n    files:\n      faq: {path: prod-faq.md}\n    assistants:\n      helper:\n        instructions: Inline in prod.\n        tools: [{type: code_interpreter}]\n        metadata: {tier: gold}\nfiles:\n  faq: {path: faq.md}\nassistants:\n  helper:\n    model: gpt-4\n    instructions_file: prompt.md\n    tools: [{type: retrieval}]\n    files: [faq]\n    metadata: {team: docs}\n`,
    });
    const base = await desiredIn(dir, { env: 'default' }).catch((e: Error) => e.message);
    expect(base).toContain('unknown environment "default"');
    const prod = await desiredIn(dir, { env: 'prod' });
    expect(prod.assistants.helper?.spec).toMatchObject({
      instructions: 'Inline in prod.',
      tools: [{ type: 'code_interpreter' }],
      metadata: { team: 'docs', tier: 'gold' },
    });
    expect(prod.files.faq?.filename).toBe('prod-faq.md');
  });
});

describe('files and hashes', () => {
  it('hashes attached files as streams and includes every input in manifestHash', async () => {
    const content = randomBytes(3 * 1024 * 1024);
    const dir = await folderWith({
      'big.bin': content,
      'prompt.md': 'Be brief.',
      'assistants.yaml': `${header}files:\n  big: {path: big.bin}\nassistants:\n  helper:\n    model: gpt-4\n    instructions_file: prompt.md\n    tools: [{type: code_interpreter}]\n    files: [big]\n`,
    });
    const first = await desiredIn(dir);
    expect(first.files.big).toMatchObject({ bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') });
    expect(first.assistants.helper?.spec.instructions).toBe('Be brief.');
    expect((await desiredIn(dir)).manifestHash).toBe(first.manifestHash);

    await writeFile(join(dir, 'prompt.md'), 'Be very brief.');
    const second = await desiredIn(dir);
    expect(second.manifestHash).not.toBe(first.manifestHash);

    content[0] = (content[0] ?? 0) ^ 1;
    await writeFile(join(dir, 'big.bin'), content);
    const third = await desiredIn(dir);
    expect(third.files.big?.sha256).not.toBe(second.files.big?.sha256);
    expect(third.manifestHash).not.toBe(second.manifestHash);
  });

  it('uploads only files some assistant attaches, and warns about the rest', async () => {
    const dir = await folderWith({
      'a.md': 'a',
      'b.md': 'b',
      'assistants.yaml': `${header}files:\n  a: {path: a.md}\n  b: {path: b.md}\nassistants:\n  helper:\n    model: gpt-4\n    files: [a]\n`,
    });
    const result = await loadIn(dir);
    expect(result.ok && Object.keys(result.desired.files)).toEqual(['a']);
    expect(result.ok && result.warnings.map((w) => formatDiagnostic(w, dir))).toEqual([
      'assistants.yaml:5:3: file "b" is declared but no assistant attaches it',
      'assistants.yaml:9:5: assistant "helper" attaches files but has no retrieval or code_interpreter tool to read them',
    ]);
  });
});

describe('robustness', () => {
  it('never throws, whatever the bytes', async () => {
    const valid = `${header}files:\n  a: {path: a.md}\nvariables:\n  m: {default: gpt-4}\nassistants:\n  helper:\n    model: \${var.m}\n    tools: [{type: retrieval}, {type: function, function: {name: f, parameters: {type: object}}}]\n    files: [a]\n    metadata: {k: v}\n`;
    const dir = await folderWith({ 'a.md': 'a' });
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['', ' ', '\n', ':', '-', '[', ']', '{', '}', '&a', '*a', '!!', '"', "'", '${', '}', '\t', '#', '|', '>', '?', ',', '0'];
    for (let i = 0; i < 150; i++) {
      const chars = [...valid];
      for (let k = 0; k < 1 + random(4); k++) chars.splice(random(chars.length), random(3), alphabet[random(alphabet.length)] ?? '');
      await writeFile(join(dir, 'assistants.yaml'), chars.join(''));
      const result = await loadManifest({ file: 'assistants.yaml', cwd: dir, processEnv: {} });
      if (!result.ok) {
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors) expect(e.line).toBeGreaterThan(0);
      }
    }
  });
});
