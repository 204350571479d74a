import { describe, expect, it } from 'vitest';
import { MARKDOWN_COMMENT_LIMIT, renderMarkdown, renderText } from '../../src/render/index.js';
import { SHA_B, create, destroy, field, file, noop, plan, update, view } from './plan-builder.js';

describe('renderMarkdown', () => {
  it('puts the summary first, then a table, notes and the diffs in <details>', () => {
    const p = plan({
      files: [file('guide', { reason: 'changed-in-manifest', id: 'file-g1', previousSha256: SHA_B })],
      assistants: [
        create('support', view({ instructions: 'Hello' })),
        update('billing', 'asst_2', [field('instructions', 'Be brief.\nBe kind.', 'Be brief.\nBe very kind.'), field('model', 'gpt-4', 'gpt-4o', 'drift')]),
        destroy('legacy', 'asst_3'),
        noop('kept', 'asst_4', { reason: 'adopt' }),
      ],
      notes: [{ level: 'warning', key: 'billing', message: 'unknown tool type "browser"' }],
    });
    const md = renderMarkdown(p);
    expect(md.startsWith('**Plan: 1 to add, 1 to change, 1 to destroy.**\n')).toBe(true);
    expect(md).toMatchInlineSnapshot(`
      "**Plan: 1 to add, 1 to change, 1 to destroy.**

      **Files: 1 to upload, 1 to delete (the old copy of a replaced file).**

      **State: 1 record to update (objects adopted, or deleted outside assistants); nothing is sent.**

      Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      | | Kind | Key | Action | Reason | Changed fields |
      | --- | --- | --- | --- | --- | --- |
      | 🟠 -/+ | file | guide | replace | changed in manifest | content |
      | 🟢 + | assistant | support | create | new in manifest |  |
      | 🟡 &#126; | assistant | billing | update | changed in manifest | model (drift), instructions |
      | 🔴 - | assistant | legacy | destroy | removed from manifest |  |
      | 🔵 | assistant | kept | adopt | adopted (tagged as ours, missing from the state) |  |

      > **Warning:** billing: unknown tool type "browser"

      <details><summary>file "guide" will be replaced (changed in manifest)</summary>

      \`\`\`diff
      !   file "guide" {
      !       id       = "file-g1" -> (known after apply)
              filename = "guide.md"
              path     = "docs/guide.md"
              bytes    = 1024
      !       sha256   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" -> "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          }
      \`\`\`

      </details>

      <details><summary>assistant "support" will be created</summary>

      \`\`\`diff
      +   assistant "support" {
      +       id           = (known after apply)
      +       model        = "gpt-4o"
      +       name         = "Support"
      +       instructions = "Hello"
      +   }
      \`\`\`

      </details>

      <details><summary>assistant "billing" will be updated in-place (changed in manifest)</summary>

      \`\`\`diff
      !   assistant "billing" {
              id           = "asst_2"
      !       model        = "gpt-4" -> "gpt-4o" # changed outside assistants
      !       instructions = <<-EOT
                  @@ -1,2 +1,2 @@
                  Be brief.
      -           Be kind.
      +           Be very kind.
              EOT
              # (5 unchanged attributes hidden)
          }
      \`\`\`

      </details>

      <details><summary>assistant "legacy" will be destroyed (removed from manifest)</summary>

      \`\`\`diff
      -   assistant "legacy" {
      -       id           = "asst_3"
      -       model        = "gpt-4o"
      -       name         = "Support"
      -       instructions = "You help customers."
      -   }
      \`\`\`

      </details>
      "
    `);
  });

  it('says there is nothing to do, with no table', () => {
    expect(renderMarkdown(plan({ assistants: [noop('support', 'asst_1')] }))).toMatchInlineSnapshot(`
      "**No changes. Your assistants match the manifest.**

      Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1
      "
    `);
  });

  it('uses the same summary line as the text', () => {
    const p = plan({ mode: 'refresh-only', assistants: [noop('a', 'asst_1', { reason: 'drift', changes: [field('model', 'a', 'b', 'drift')] })] });
    const firstTextSummary = renderText(p, { color: false }).split('\n').find((l) => l.startsWith('Drift:'));
    expect(renderMarkdown(p).split('\n')[0]).toBe(`**${firstTextSummary}**`);
  });

  it('escapes user strings in the table, the summary and the notes, and fences around backticks', () => {
    const key = 'a|b <script>`x`</script> *@team* #1';
    const p = plan({
      project: 'p_1',
      assistants: [create(key, view({ instructions: 'Use ```code``` blocks\nand ````more````' }))],
      notes: [{ level: 'info', key: null, message: 'see [link](http://x) | pipe\nnew line' }],
    });
    const md = renderMarkdown(p);
    const row = md.split('\n').find((l) => l.startsWith('| 🟢'));
    expect(row).toBe('| 🟢 + | assistant | a&#124;b &#60;script&#62;&#96;x&#96;&#60;/script&#62; &#42;&#64;team&#42; &#35;1 | create | new in manifest |  |');
    expect(row?.split(/(?<!\\)\|/).length).toBe(8);
    // Raw HTML from a user string appears only inside the code fence.
    expect(md.replace(/`````diff\n[\s\S]*?\n`````/, '')).not.toContain('<script>');
    expect(md).toContain('Project "p&#95;1"');
    expect(md).toContain('> **Note:** see &#91;link&#93;(http://x) &#124; pipe new line');
    expect(md).toContain('\n`````diff\n');
    expect(md).toContain('+           Use ```code``` blocks\n+           and ````more````\n+       EOT\n+   }\n');
  });

  it('cuts the diffs of a huge plan to fit a GitHub comment, keeping the summary and the table', () => {
    const huge = Array.from({ length: 4000 }, (_, i) => `Line ${i} of the long instructions.`).join('\n');
    const p = plan({
      assistants: [
        update('small', 'asst_0', [field('model', 'gpt-4', 'gpt-4o')]),
        update('big', 'asst_1', [field('instructions', '', huge)]),
        update('after1', 'asst_2', [field('instructions', 'a', huge)]),
        update('after2', 'asst_3', [field('instructions', 'b', huge)]),
      ],
    });
    const md = renderMarkdown(p);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_COMMENT_LIMIT);
    expect(md.length).toBeGreaterThan(MARKDOWN_COMMENT_LIMIT - 3000);
    expect(md.startsWith('**Plan: 0 to add, 4 to change, 0 to destroy.**\n')).toBe(true);
    for (const key of ['small', 'big', 'after1', 'after2']) expect(md).toContain(`| 🟡 &#126; | assistant | ${key} | update |`);
    expect(md).toContain('<details><summary>assistant "small" will be updated in-place (changed in manifest)</summary>');
    expect(md).toContain('<details><summary>assistant "big" will be updated in-place (changed in manifest) (shortened)</summary>');
    expect(md).toMatch(/_\d+ more lines cut\._/);
    expect(md).not.toContain('<summary>assistant "after1"');
    expect(md).toContain(
      "> **Cut to fit GitHub's 65,536-character comment limit:** the diff of assistant \"big\" will be updated in-place (changed in manifest) (shortened), " +
        '2 diffs left out (assistant "after1" will be updated in-place (changed in manifest); assistant "after2" will be updated in-place (changed in manifest)). ' +
        'Run `assistants plan` to see the whole plan.',
    );
    // Every opened fence and <details> is closed.
    expect(md.match(/<details>/g)?.length).toBe(md.match(/<\/details>/g)?.length);
    expect((md.match(/^```/gm)?.length ?? 0) % 2).toBe(0);
  });

  it('cuts table rows and notes last, when the table alone is too long', () => {
    const p = plan({
      assistants: Array.from({ length: 3000 }, (_, i) => create(`assistant-number-${i}`)),
      notes: [{ level: 'warning', key: null, message: 'a note' }],
    });
    const md = renderMarkdown(p);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_COMMENT_LIMIT);
    expect(md.startsWith('**Plan: 3000 to add, 0 to change, 0 to destroy.**\n')).toBe(true);
    expect(md).toContain('| 🟢 + | assistant | assistant-number-0 | create |');
    expect(md).toMatch(/Cut to fit GitHub's 65,536-character comment limit:\*\* \d+ table rows, 1 note, 3000 diffs left out \(/);
    expect(md).toMatch(/assistant "assistant-number-0" will be created; assistant "assistant-number-1" will be created; .*; and \d+ more\)/);
    expect(md).not.toContain('<details>');
  });
});
