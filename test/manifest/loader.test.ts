import { createHash, randomBytes } from 'node:crypto';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifest, type DesiredState } from '../../src/manifest/index.js';
import { parseTemplate } from '../../src/manifest/interpolate.js';
import { folderWith, loadIn, type LoadIn } from './helpers.js';

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
      { expression: { kind: 'env', name: 'HOME' }, raw: '${env.HOME:-/root}' },
      { expression: { kind: 'environment' }, raw: '${environment}' },
    ]);
  });

  it('resolves variables (--var, then the environment, then ASSISTANTS_VAR_NAME, then the default) and the environment name', async () => {
    const dir = await folderWith({
      'assistants.yaml': `${header}variables:\n  model: {default: gpt-4}\n  team: {}\n  owner: {default: nobody}\nenvironments:\n  dev:\n    variables:\n      model: "gpt-3.5-turbo-\${environment}"\n  prod: {}\nassistants:\n  helper:\n    model: \${var.model}\n    name: "Helper \${environment} for \${var.team}, cost $\${price}"\n    metadata:\n      owner: \${var.owner}\n`,
    });
    const env = { ASSISTANTS_VAR_team: 'support', ASSISTANTS_VAR_model: 'gpt-4-turbo', TEAM: 'ignored' };
    const dev = await desiredIn(dir, { env: 'dev', processEnv: env });
    expect(dev.assistants.helper?.spec).toMatchObject({ model: 'gpt-3.5-turbo-dev', name: 'Helper dev for support, cost ${price}', metadata: { owner: 'nobody' } });
    const prod = await desiredIn(dir, { env: 'prod', processEnv: env });
    expect(prod.assistants.helper?.spec.model).toBe('gpt-4-turbo');
    const prodDefault = await desiredIn(dir, { env: 'prod', processEnv: { ASSISTANTS_VAR_team: 'support' } });
    expect(prodDefault.assistants.helper?.spec.model).toBe('gpt-4');
    expect(prodDefault.manifestHash).not.toBe(prod.manifestHash);
    const given = await loadManifest({ file: 'assistants.yaml', cwd: dir, env: 'dev', processEnv: env, variables: { model: 'from --var' } });
    expect(given.ok && given.desired.assistants.helper?.spec.model).toBe('from --var');
  });

  it('marks what a sensitive variable makes, and hashes a change of it without carrying it', async () => {
    const dir = await folderWith({
      'assistants.yaml': `${header}variables:\n  api_token: {sensitive: true}\nassistants:\n  helper:\n    model: gpt-4\n    name: "Helper \${var.api_token}"\n    tools:\n      - type: function\n        function: {name: f, description: "uses \${var.api_token}"}\n    metadata:\n      plain: x\n      token: \${var.api_token}\n  other:\n    model: gpt-4\n`,
    });
    const one = await desiredIn(dir, { processEnv: { ASSISTANTS_VAR_api_token: 'secret-one-value' } });
    expect(one.assistants.helper?.sensitive).toEqual(['name', 'tools', 'metadata.token']);
    expect(one.assistants.helper?.spec.name).toBe('Helper secret-one-value');
    expect(one.assistants.other?.sensitive).toEqual([]);
    expect(one.manifestHash).not.toContain('secret-one-value');
    const two = await desiredIn(dir, { processEnv: { ASSISTANTS_VAR_api_token: 'secret-two-value' } });
    expect(two.manifestHash).not.toBe(one.manifestHash);
    const again = await desiredIn(dir, { processEnv: { ASSISTANTS_VAR_api_token: 'secret-one-value' } });
    expect(again.manifestHash).toBe(one.manifestHash);
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

  it('points errors in merged values at the environment that set them, and errors elsewhere at the top level', async () => {
    const dir = await folderWith({
      'faq.md': 'faq',
      'assistants.yaml': `${header}environments:\n  prod:\n    assistants:\n      helper:\n        files: [ghost]\n        instructions_file: missing.md\n        metadata: {tier: gold}\nfiles:\n  faq: {path: faq.md}\nassistants:\n  helper:\n    model: gpt-4\n    instructions: Hi.\n    tools: [{type: retrieval}]\n    files: [faq]\n    metadata: {team: docs}\n  other:\n    model: gpt-4\n    files: [nope]\n`,
    });
    const result = await loadIn(dir, { env: 'prod' });
    expect(result.ok).toBe(false);
    const lines = result.ok ? [] : result.errors.map((d) => `${d.line}:${d.message.slice(0, 40)}`);
    expect(lines).toEqual([expect.stringMatching(/^7:.*ghost/), expect.stringMatching(/^8:.*missing\.md/), expect.stringMatching(/^21:.*nope/)]);
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

  it('reads attached files through symbolic links that stay inside the folder (a linked folder, a linked file)', async () => {
    const dir = await folderWith({
      'docs/faq.md': 'faq',
      'assistants.yaml': `${header}files:\n  faq: {path: linked/faq.md}\n  alias: {path: alias.md}\nassistants:\n  helper:\n    model: gpt-4\n    tools: [{type: retrieval}]\n    files: [faq, alias]\n`,
    });
    await symlink('docs', join(dir, 'linked'));
    await symlink(join('docs', 'faq.md'), join(dir, 'alias.md'));
    const desired = await desiredIn(dir);
    const sha256 = createHash('sha256').update('faq').digest('hex');
    expect(desired.files.faq).toMatchObject({ path: join(dir, 'linked', 'faq.md'), bytes: 3, sha256 });
    expect(desired.files.alias).toMatchObject({ path: join(dir, 'alias.md'), bytes: 3, sha256 });
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
