import { describe, expect, it } from 'vitest';
import { MARKDOWN_COMMENT_LIMIT, renderMarkdown, renderMarkdownParts, renderText } from '../../src/render/index.js';
import { SHA_B, create, destroy, field, file, fn, noop, plan, update, view } from './plan-builder.js';
import { liveById, plan as planned, syncedWorld } from '../plan/world.js';

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
    expect(md.startsWith('### Plan for project "shop", environment "prod"\n\n**Plan: 1 to add, 1 to change, 1 to destroy.**\n')).toBe(true);
    expect(md).toMatchInlineSnapshot(`
      "### Plan for project "shop", environment "prod"

      **Plan: 1 to add, 1 to change, 1 to destroy.**

      **Files: 1 to upload, 1 to delete (the old copy of a replaced file).**

      **State: 1 record to update (objects adopted, or deleted outside assistants); nothing is sent.**

      Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Plan hash: \`1b9d550d1797c44cd203eaad532b63e9cbc82d1493bd442c21aa9e83c27cf095\`

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
      "### Plan for project "shop", environment "prod"

      **No changes. Your assistants match the manifest.**

      Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Plan hash: \`c808b6dbdbef22f760030ac4cc71a8bf4333cf4efa86edfac6c79558160a13b7\`
      "
    `);
  });

  it('uses the same summary line as the text', () => {
    const w = syncedWorld();
    liveById(w, 'asst_support').model = 'gpt-4o-mini';
    const p = planned(w, { mode: 'refresh-only' });
    const firstTextSummary = renderText(p, { color: false }).split('\n').find((l) => l.startsWith('Drift:'));
    expect(renderMarkdown(p).split('\n')[2]).toBe(`**${firstTextSummary}**`);
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

  /** Every fence opened is closed and every <details> too, in each part on its own. */
  function expectBalanced(part: string): void {
    expect(part.match(/<details>/g)?.length ?? 0).toBe(part.match(/<\/details>/g)?.length ?? 0);
    expect((part.match(/^`{3,}/gm)?.length ?? 0) % 2).toBe(0);
  }

  it('splits a plan of 500 assistants into named parts at object boundaries, each within the limit and balanced', () => {
    const instructions = Array.from({ length: 30 }, (_, i) => `Rule ${i}: answer politely and cite the handbook section.`).join('\n');
    const p = plan({ assistants: Array.from({ length: 500 }, (_, i) => create(`assistant-${i}`, view({ instructions }))) });
    const parts = renderMarkdownParts(p);
    expect(parts.length).toBeGreaterThan(5);
    parts.forEach((part, index) => {
      expect(part.length).toBeLessThanOrEqual(MARKDOWN_COMMENT_LIMIT);
      expect(part.startsWith(`<!-- assistants plan: part ${index + 1} of ${parts.length} -->\n`)).toBe(true);
      expectBalanced(part);
    });
    // The first part: the summary, the counts and the hash first, outside any fold.
    expect(parts[0]).toMatch(/^<!-- assistants plan: part 1 of \d+ -->\n### Plan for project "shop", environment "prod"\n\n\*\*Plan: 500 to add, 0 to change, 0 to destroy\.\*\*\n\nProject "shop"/);
    expect(parts[0]).toContain(`Plan hash: \`${p.planHash}\``);
    expect(parts[0]).toContain(`_This plan is split into ${parts.length} comments: this is part 1 of ${parts.length}._`);
    expect(parts[1]).toContain(`**Plan for project "shop", environment "prod": part 2 of ${parts.length}**`);
    // Nothing lost, nothing twice: every row and every diff once, in order.
    const all = parts.join('\n');
    for (const i of [0, 1, 250, 499]) {
      expect(all.split(`| 🟢 + | assistant | assistant-${i} | create |`).length).toBe(2);
      expect(all.split(`<summary>assistant "assistant-${i}" will be created</summary>`).length).toBe(2);
    }
    expect(all.indexOf('"assistant-10" will be created')).toBeLessThan(all.indexOf('"assistant-11" will be created'));
    // A table cut between parts opens again with its header.
    for (const part of parts.filter((x) => x.includes('| 🟢 +'))) expect(part).toContain('| | Kind | Key | Action | Reason | Changed fields |');
    expect(renderMarkdown(p)).toBe(all);
  });

  it('splits a diff longer than a comment into fenced blocks by lines', () => {
    const huge = Array.from({ length: 4000 }, (_, i) => `Line ${i} of the long instructions.`).join('\n');
    const p = plan({ assistants: [update('small', 'asst_0', [field('model', 'gpt-4', 'gpt-4o')]), update('big', 'asst_1', [field('instructions', '', huge)])] });
    const parts = renderMarkdownParts(p);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(MARKDOWN_COMMENT_LIMIT);
      expectBalanced(part);
    }
    const all = parts.join('\n');
    const titles = [...all.matchAll(/<summary>assistant "big" will be updated in-place \(changed in manifest\) \(lines (\d+)-(\d+) of (\d+)\)<\/summary>/g)];
    expect(titles.length).toBeGreaterThan(1);
    // The blocks cover every line once, in order.
    const total = Number(titles[0]?.[3]);
    let next = 1;
    for (const [, first, last, of] of titles) {
      expect([Number(first), Number(of)]).toEqual([next, total]);
      next = Number(last) + 1;
    }
    expect(next - 1).toBe(total);
    for (const i of [0, 1999, 3999]) expect(all).toContain(`+           Line ${i} of the long instructions.\n`);
  });

  it('names what did not fit when a plan needs more than the most parts', () => {
    const instructions = 'x'.repeat(3000);
    const p = plan({ assistants: Array.from({ length: 100 }, (_, i) => create(`a${i}`, view({ instructions }))) });
    const parts = renderMarkdownParts(p, { maxPartLength: 10_000, maxParts: 3 });
    expect(parts.length).toBe(3);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(10_000);
    expect(parts[2]).toMatch(/> \*\*Not shown:\*\* \d+ diff blocks did not fit in 3 comments\. Run `assistants plan` to see the whole plan\.\n$/);
  });

  it('sorts keys naturally, marks every line of an added function, puts commands in code spans and names the project and environment', () => {
    const md = renderMarkdown(
      plan({
        assistants: [
          create('a59'),
          create('a6'),
          update('tools', 'asst_9', [field('tools', [], [fn('lookup', { type: 'object', properties: { id: { type: 'string' } } })])]),
        ],
        notes: [{ level: 'info', key: 'a6', message: 'an assistant named "A" (asst_1) already exists and is not managed; to manage it instead of creating a new one, run: assistants import a6 asst_1' }],
      }),
    );
    expect(md.split('\n')[0]).toBe('### Plan for project "shop", environment "prod"');
    expect(md.indexOf('| a6 |')).toBeLessThan(md.indexOf('| a59 |'));
    expect(md).toContain('run: `assistants import a6 asst_1`');
    const diff = md.slice(md.indexOf('function "lookup" {') - 20);
    const body = diff.slice(0, diff.indexOf('```')).split('\n').filter((line) => line.trim() !== '');
    const added = body.slice(body.findIndex((line) => line.includes('function "lookup"')));
    const end = added.findIndex((line) => /^.\s+}$/.test(line));
    expect(added.slice(0, end + 1).every((line) => line.startsWith('+'))).toBe(true);
    expect(added.slice(0, end + 1).length).toBeGreaterThan(8);
  });
});
