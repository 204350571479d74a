/** GitHub Actions' channels: workflow commands escaped as the runner expects, the step summary's 1 MiB, the step outputs. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendOutputs, appendStepSummary, planOutputs, STEP_SUMMARY_LIMIT } from '../../src/forge/github-actions.js';
import { workflowCommand } from '../../src/forge/workflow-command.js';
import { create, field, noop, plan, update } from '../render/plan-builder.js';
import { makeTempDir } from '../support/temp-dir.js';

describe('workflow commands', () => {
  it('escape %, CR and LF in the message, and : and , in properties too', () => {
    expect(workflowCommand('error', 'bad: 50%\nnext', { file: 'a,b:c.yaml', line: 3, col: 7 })).toBe('::error file=a%2Cb%3Ac.yaml,line=3,col=7::bad: 50%25%0Anext');
    expect(workflowCommand('notice', 'plain')).toBe('::notice::plain');
  });
});

describe('the step summary', () => {
  it('takes whole parts while they fit in what is left of 1 MiB, and says what did not fit', async () => {
    const { dir } = await makeTempDir();
    const path = join(dir, 'summary.md');
    await writeFile(path, 'x'.repeat(STEP_SUMMARY_LIMIT - 150_000));
    const part = `${'é'.repeat(30_000)}\n`; // 60,000 bytes
    expect(await appendStepSummary(path, [part, part, part])).toBe(2);
    const text = await readFile(path, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(STEP_SUMMARY_LIMIT);
    expect(text).toMatch(/> \*\*Not shown here:\*\* 1 more part of the plan, over the step summary's 1 MiB/);
  });
});

describe('the step outputs', () => {
  it('are the documented keys, one line each', async () => {
    const p = plan({ assistants: [create('a'), update('b', 'asst_2', [field('model', 'x', 'y', 'drift')], 'drift'), noop('c', 'asst_3')] });
    expect(planOutputs(p, 42)).toEqual({
      has_changes: 'true',
      to_add: '1',
      to_change: '1',
      to_destroy: '0',
      to_upload: '0',
      drift: 'true',
      plan_hash: p.planHash,
      comment_id: '42',
    });
    const { dir } = await makeTempDir();
    await appendOutputs(join(dir, 'out'), { a: '1', b: '' });
    expect(await readFile(join(dir, 'out'), 'utf8')).toBe('a=1\nb=\n');
    await expect(appendOutputs(join(dir, 'out'), { c: 'two\nlines' })).rejects.toThrow('spans lines');
  });
});
