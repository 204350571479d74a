import { describe, expect, it } from 'vitest';
import { renderJson, renderText } from '../../src/render/index.js';
import type { Plan } from '../../src/plan/types.js';
import { SHA_B, create, destroy, field, file, fn, noop, plan, update, view } from './plan-builder.js';
import { desiredOf, liveAssistant, liveById, liveFromDesired, plan as planned, syncedWorld, tag } from '../plan/world.js';

const text = (p: Plan): string => renderText(p, { color: false });
const stripAnsi = (s: string): string => s.replaceAll(/\u001b\[\d+m/g, '');

const weatherParams = {
  type: 'object',
  properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
  required: ['city'],
};

describe('renderText', () => {
  it('shows a create with every set field and ids known after apply', () => {
    const p = plan({
      assistants: [
        create(
          'support',
          view({
            description: 'Answers | questions',
            instructions: 'You help customers.\nBe brief.',
            tools: [{ type: 'code_interpreter' }, fn('get_weather', weatherParams)],
            files: ['faq'],
            metadata: { team: 'cx', tier: 'gold' },
          }),
        ),
      ],
    });
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        + create

      assistants will perform the following actions:

        # assistant "support" will be created
        + assistant "support" {
            + id           = (known after apply)
            + model        = "gpt-4o"
            + name         = "Support"
            + description  = "Answers | questions"
            + instructions = <<-EOT
                  You help customers.
                  Be brief.
              EOT
            + tools        = [
                + code_interpreter
                + function "get_weather" {
                    + description = "Does get_weather."
                    + parameters  = <<-JSON
                          {
                            "type": "object",
                            "properties": {
                              "city": {
                                "type": "string"
                              },
                              "unit": {
                                "type": "string",
                                "enum": [
                                  "c",
                                  "f"
                                ]
                              }
                            },
                            "required": [
                              "city"
                            ]
                          }
                      JSON
                  }
              ]
            + files        = [
                + "faq"
              ]
            + metadata     = {
                + "team" = "cx"
                + "tier" = "gold"
              }
          }

      Plan: 1 to add, 0 to change, 0 to destroy.
      "
    `);
  });

  it('shows an update with several fields, metadata as a map and files as a set', () => {
    const p = plan({
      assistants: [
        update('support', 'asst_1', [
          field('model', 'gpt-4', 'gpt-4o'),
          field('name', null, 'Support'),
          field('files', ['faq', 'guide', 'old'], ['faq', 'guide', 'new']),
          field('metadata', { team: 'cx', tier: 'gold', gone: 'x' }, { team: 'cx', tier: 'silver', owner: 'ann' }),
        ]),
      ],
    });
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        ~ update in-place

      assistants will perform the following actions:

        # assistant "support" will be updated in-place (changed in manifest)
        ~ assistant "support" {
              id       = "asst_1"
            ~ model    = "gpt-4" -> "gpt-4o"
            ~ name     = null -> "Support"
            ~ files    = [
                + "new"
                - "old"
                  # (2 unchanged elements hidden)
              ]
            ~ metadata = {
                ~ "tier"  = "gold" -> "silver"
                + "owner" = "ann"
                - "gone"  = "x"
                  # (1 unchanged element hidden)
              }
              # (3 unchanged attributes hidden)
          }

      Plan: 0 to add, 1 to change, 0 to destroy.
      "
    `);
  });

  it('shows instructions as a unified diff', () => {
    const before = ['You help customers.', 'Be brief.', 'Never guess.', 'Say thanks.', 'Line 5', 'Line 6', 'Line 7', 'Line 8', 'Line 9'].join('\n');
    const after = ['You help customers.', 'Be brief and kind.', 'Never guess.', 'Say thanks.', 'Line 5', 'Line 6', 'Line 7', 'Line 8', 'Line 9', 'Sign off.'].join('\n');
    const p = plan({ assistants: [update('support', 'asst_1', [field('instructions', before, after)])] });
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        ~ update in-place

      assistants will perform the following actions:

        # assistant "support" will be updated in-place (changed in manifest)
        ~ assistant "support" {
              id           = "asst_1"
            ~ instructions = <<-EOT
                  @@ -1,5 +1,5 @@
                  You help customers.
                - Be brief.
                + Be brief and kind.
                  Never guess.
                  Say thanks.
                  Line 5
                  @@ -7,3 +7,4 @@
                  Line 7
                  Line 8
                  Line 9
                + Sign off.
              EOT
              # (6 unchanged attributes hidden)
          }

      Plan: 0 to add, 1 to change, 0 to destroy.
      "
    `);
  });

  it('shows instructions set from and to null', () => {
    const p = plan({
      assistants: [
        update('a', 'asst_1', [field('instructions', null, 'Be kind.')]),
        update('b', 'asst_2', [field('instructions', 'Be kind.\nAlways.', null)]),
      ],
    });
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        ~ update in-place

      assistants will perform the following actions:

        # assistant "a" will be updated in-place (changed in manifest)
        ~ assistant "a" {
              id           = "asst_1"
            ~ instructions = null -> <<-EOT
                  @@ -0,0 +1 @@
                + Be kind.
              EOT
              # (6 unchanged attributes hidden)
          }

        # assistant "b" will be updated in-place (changed in manifest)
        ~ assistant "b" {
              id           = "asst_2"
            ~ instructions = <<-EOT -> null
                  @@ -1,2 +0,0 @@
                - Be kind.
                - Always.
              EOT
              # (6 unchanged attributes hidden)
          }

      Plan: 0 to add, 2 to change, 0 to destroy.
      "
    `);
  });

  it('shows a function whose parameters changed as a diff of pretty JSON, and added and removed tools', () => {
    const next = { ...weatherParams, properties: { ...weatherParams.properties, days: { type: 'integer' } }, required: ['city', 'days'] };
    const p = plan({
      assistants: [
        update('support', 'asst_1', [
          field(
            'tools',
            [{ type: 'code_interpreter' }, fn('get_weather', weatherParams), fn('old_tool', {}), { type: 'browser', mode: 'fast' }],
            [{ type: 'code_interpreter' }, fn('get_weather', next, 'Gets the weather.'), { type: 'retrieval' }, { type: 'browser', mode: 'fast' }],
          ),
        ]),
      ],
    });
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        ~ update in-place

      assistants will perform the following actions:

        # assistant "support" will be updated in-place (changed in manifest)
        ~ assistant "support" {
              id    = "asst_1"
            ~ tools = [
                ~ function "get_weather" {
                    ~ description = "Does get_weather." -> "Gets the weather."
                    ~ parameters  = <<-JSON
                          @@ -10,9 +10,13 @@
                                  "c",
                                  "f"
                                ]
                        +     },
                        +     "days": {
                        +       "type": "integer"
                              }
                            },
                            "required": [
                        -     "city"
                        +     "city",
                        +     "days"
                            ]
                          }
                      JSON
                  }
                + retrieval
                - function "old_tool" {
                    - description = "Does old_tool."
                    - parameters  = <<-JSON
                          {}
                      JSON
                  }
                  # (2 unchanged tools hidden)
              ]
              # (6 unchanged attributes hidden)
          }

      Plan: 0 to add, 1 to change, 0 to destroy.
      "
    `);
  });

  it('shows tools that only moved', () => {
    const p = plan({
      assistants: [update('a', 'asst_1', [field('tools', [{ type: 'retrieval' }, { type: 'code_interpreter' }], [{ type: 'code_interpreter' }, { type: 'retrieval' }])])],
    });
    expect(text(p)).toContain('# (the same tools, in a new order)');
  });

  it('shows a delete removed from the manifest', () => {
    expect(text(plan({ assistants: [destroy('legacy', 'asst_9')] }))).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        - destroy

      assistants will perform the following actions:

        # assistant "legacy" will be destroyed (removed from manifest)
        - assistant "legacy" {
            - id           = "asst_9"
            - model        = "gpt-4o"
            - name         = "Support"
            - instructions = "You help customers."
          }

      Plan: 0 to add, 0 to change, 1 to destroy.
      "
    `);
  });

  it('names the original of an orphan left by a retried create', () => {
    const w = syncedWorld();
    w.live.assistants.push(liveFromDesired('asst_support_dup', desiredOf(w, 'support'), { faq: 'file-faq', guide: 'file-guide' }, 1_700_000_900));
    w.live.assistants.push(liveAssistant('asst_stray', { name: 'Stray', metadata: tag('stray') }));
    expect(text(planned(w))).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        - destroy

      assistants will perform the following actions:

        # assistant "stray" will be destroyed (orphan: tagged as ours, not in the manifest)
        - assistant "stray" {
            - id       = "asst_stray"
            - model    = "gpt-4o"
            - name     = "Stray"
            - metadata = {
                - "assistants-iac" = "shop/prod/stray"
              }
          }

        # assistant "support" will be destroyed (orphan: duplicate of asst_support)
        - assistant "support" {
            - id           = "asst_support_dup"
            - model        = "gpt-4o"
            - name         = "Assistant support"
            - instructions = "You are support."
            - tools        = [
                - code_interpreter
              ]
            - files        = [
                - "faq@5fed58091fbd"
                - "guide@6341a28fa6cf"
              ]
            - metadata     = {
                - "assistants-iac" = "shop/prod/support"
                - "team"           = "cx"
              }
          }

      Plan: 0 to add, 0 to change, 2 to destroy.
      Files: 0 to upload, 0 to delete.
      "
    `);
  });
  it('says drift, and marks drifted fields in an update that also has manifest changes', () => {
    const w = syncedWorld();
    liveById(w, 'asst_support').model = 'gpt-4o-mini';
    liveById(w, 'asst_sales').description = 'hand edit';
    desiredOf(w, 'sales').spec.model = 'gpt-4.1';
    const p = planned(w);
    expect(p.assistants.map((a) => [a.key, a.action, a.reason])).toEqual([['sales', 'update', 'changed-in-manifest'], ['support', 'update', 'drift']]);
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        ~ update in-place

      assistants will perform the following actions:

        # assistant "sales" will be updated in-place (changed in manifest)
        ~ assistant "sales" {
              id          = "asst_sales"
            ~ model       = "gpt-4o" -> "gpt-4.1"
            ~ description = "hand edit" -> "Sells" # changed outside assistants
              # (5 unchanged attributes hidden)
          }

        # assistant "support" will be updated in-place (changed outside assistants: drift)
        ~ assistant "support" {
              id    = "asst_support"
            ~ model = "gpt-4o-mini" -> "gpt-4o"
              # (6 unchanged attributes hidden)
          }

      Plan: 0 to add, 2 to change, 0 to destroy.
      Files: 0 to upload, 0 to delete.
      "
    `);
  });
  it('lists ignored fields, in an update and in a no-op', () => {
    const p = plan({
      assistants: [
        update('a', 'asst_1', [field('model', 'gpt-4', 'gpt-4o')], 'changed-in-manifest', ['instructions', 'metadata']),
        noop('b', 'asst_2', { ignored: ['tools'] }),
      ],
    });
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        ~ update in-place

      assistants will perform the following actions:

        # assistant "a" will be updated in-place (changed in manifest)
        ~ assistant "a" {
              id    = "asst_1"
            ~ model = "gpt-4" -> "gpt-4o"
              # (4 unchanged attributes hidden)
              # ignored (lifecycle.ignore_changes): instructions, metadata
          }

        # assistant "b" differs only in ignored fields (lifecycle.ignore_changes): tools

      Plan: 0 to add, 1 to change, 0 to destroy.
      "
    `);
  });

  it('shows files uploaded, replaced and deleted, counted apart', () => {
    const p = plan({
      files: [
        file('faq'),
        file('guide', { reason: 'changed-in-manifest', id: 'file-g1', previousSha256: SHA_B }),
        file('old', { action: 'delete', reason: 'removed-from-manifest', id: 'file-o1', path: null }),
        file('kept', { action: 'no-op', reason: 'unchanged', id: 'file-k1' }),
      ],
      assistants: [update('support', 'asst_1', [field('files', ['old', 'guide'], ['faq', 'guide'])])],
    });
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        + upload
        ~ update in-place
        - delete
      -/+ replace (the new content is uploaded in place of the old file)

      assistants will perform the following actions:

        # file "faq" will be uploaded
        + file "faq" {
            + id       = (known after apply)
            + filename = "faq.md"
            + path     = "docs/faq.md"
            + bytes    = 1024
            + sha256   = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          }

        # file "guide" will be replaced (changed in manifest)
      -/+ file "guide" {
            ~ id       = "file-g1" -> (known after apply)
              filename = "guide.md"
              path     = "docs/guide.md"
              bytes    = 1024
            ~ sha256   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" -> "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          }

        # file "old" will be deleted (removed from manifest)
        - file "old" {
            - id       = "file-o1"
            - filename = "old.md"
            - bytes    = 1024
            - sha256   = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          }

        # assistant "support" will be updated in-place (changed in manifest)
        ~ assistant "support" {
              id    = "asst_1"
            ~ files = [
                + "faq"
                - "old"
                  # (1 unchanged element hidden)
              ]
              # (6 unchanged attributes hidden)
          }

      Plan: 0 to add, 1 to change, 0 to destroy.
      Files: 2 to upload, 2 to delete (1 of them the old copy of a replaced file).
      "
    `);
  });

  it('says there is nothing to do', () => {
    expect(text(planned(syncedWorld()))).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      No changes. Your assistants match the manifest.
      "
    `);
  });
  it('shows state-only changes (adoption, an object deleted outside) with no action', () => {
    const w = syncedWorld();
    delete w.state!.assistants['support'];
    w.live.assistants = w.live.assistants.filter((a) => a.id !== 'asst_sales');
    delete w.desired.assistants['sales'];
    expect(text(planned(w))).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

        # assistant "support" (asst_support) is tagged as ours and will be recorded in the state; it needs no change

        # assistant "sales" (asst_sales) was deleted outside assistants; its state record will be dropped

      Plan: 0 to add, 0 to change, 0 to destroy.
      Files: 0 to upload, 0 to delete.
      State: 2 records to update (objects adopted, or deleted outside assistants); nothing is sent.
      "
    `);
  });
  it('recreates an assistant deleted outside', () => {
    const p = plan({ assistants: [{ ...create('support'), reason: 'gone' }] });
    expect(text(p)).toContain('# assistant "support" will be created (deleted outside assistants)');
  });

  it('words a refresh-only plan as drift to record', () => {
    const w = syncedWorld();
    liveById(w, 'asst_support').model = 'gpt-4o-mini';
    w.live.assistants = w.live.assistants.filter((a) => a.id !== 'asst_sales');
    const drifted = planned(w, { mode: 'refresh-only' });
    expect(drifted.assistants.map((a) => a.action)).toEqual(['no-op', 'record']);
    expect(text(drifted)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Objects have changed outside of assistants:

        # assistant "sales" (asst_sales) was deleted outside assistants; its state record will be dropped

        # assistant "support" has changed outside assistants
        ~ assistant "support" {
              id    = "asst_support"
            ~ model = "gpt-4o" -> "gpt-4o-mini"
              # (6 unchanged attributes hidden)
          }

      Drift: 1 object has changed outside assistants. Applying this refresh-only plan records that in the state and changes no assistant or file.
      State: 1 record to update (objects adopted, or deleted outside assistants); nothing is sent.
      "
    `);
    expect(text(planned(syncedWorld(), { mode: 'refresh-only' }))).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      No changes. Your assistants still match the last applied state.
      "
    `);
  });

  it('words a destroy plan as destroy', () => {
    const p = plan({
      mode: 'destroy',
      files: [file('faq', { action: 'delete', reason: 'destroy', id: 'file-1' })],
      assistants: [destroy('support', 'asst_1', 'destroy'), destroy('dup', 'asst_2', 'orphan')],
    });
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      Actions are shown with these symbols:
        - destroy
        - delete

      assistants will destroy everything project "shop" owns in environment "prod":

        # file "faq" will be deleted
        - file "faq" {
            - id       = "file-1"
            - filename = "faq.md"
            - path     = "docs/faq.md"
            - bytes    = 1024
            - sha256   = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          }

        # assistant "support" will be destroyed
        - assistant "support" {
            - id           = "asst_1"
            - model        = "gpt-4o"
            - name         = "Support"
            - instructions = "You help customers."
          }

        # assistant "dup" will be destroyed (orphan: tagged as ours, not in the manifest)
        - assistant "dup" {
            - id           = "asst_2"
            - model        = "gpt-4o"
            - name         = "Support"
            - instructions = "You help customers."
          }

      Plan: 0 to add, 0 to change, 2 to destroy.
      Files: 0 to upload, 1 to delete.
      "
    `);
    expect(text(plan({ mode: 'destroy' }))).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1

      No changes. Nothing that project "shop" owns in environment "prod" is left to destroy.
      "
    `);
  });

  it('shows targets and notes', () => {
    const p = plan({
      targets: ['support'],
      assistants: [create('support')],
      notes: [
        { level: 'warning', key: 'support', message: 'live tool of unknown type "browser" is kept as is' },
        { level: 'info', key: null, message: '2 assistants without an ownership tag were left alone' },
      ],
    });
    expect(text(p)).toMatchInlineSnapshot(`
      "Project "shop", environment "prod", endpoint http://127.0.0.1:4010/v1
      Targeting is in effect: only "support" planned; the plan may be incomplete.

      Actions are shown with these symbols:
        + create

      assistants will perform the following actions:

        # assistant "support" will be created
        + assistant "support" {
            + id           = (known after apply)
            + model        = "gpt-4o"
            + name         = "Support"
            + instructions = "You help customers."
          }

      Plan: 1 to add, 0 to change, 0 to destroy.

      Warning: support: live tool of unknown type "browser" is kept as is

      Note: 2 assistants without an ownership tag were left alone
      "
    `);
  });

  it('colours signs only when asked', () => {
    const p = plan({
      files: [file('guide', { reason: 'changed-in-manifest', id: 'file-g1', previousSha256: SHA_B })],
      assistants: [create('a'), update('b', 'asst_2', [field('instructions', 'x', 'y')]), destroy('c', 'asst_3')],
    });
    const plain = renderText(p, { color: false });
    const coloured = renderText(p, { color: true });
    expect(plain).not.toContain('\u001b');
    expect(coloured).toContain('\u001b[');
    expect(coloured).toContain('\u001b[32m+\u001b[39m');
    expect(coloured).toContain('\u001b[33m~\u001b[39m');
    expect(coloured).toContain('\u001b[31m-\u001b[39m');
    expect(stripAnsi(coloured)).toBe(plain);
  });

  it('shows control characters in user text as escapes, so a plan cannot write ANSI codes', () => {
    const p = plan({
      assistants: [update('a', 'asst_1', [field('instructions', 'safe', '\u001b[31mred\u001b[0m\rhidden')])],
      notes: [{ level: 'warning', key: 'a', message: 'bell \u0007' }],
    });
    const out = text(p);
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\r');
    expect(out).toContain('+ \\u001b[31mred\\u001b[0m\\u000dhidden');
    expect(out).toContain('Warning: a: bell \\u0007');
  });

  it('reads the same JSON form that --json prints', () => {
    const p = plan({
      files: [file('faq')],
      assistants: [create('support', view({ metadata: { z: '1', a: '2' } })), update('b', 'asst_2', [field('model', 'a', 'b')])],
    });
    const fromJson = JSON.parse(renderJson(p)) as Plan;
    expect(renderText(fromJson, { color: false })).toBe(text(p));
  });

  it('does not read the plan hash, which it never shows (computing it costs a plan of thousands ~40 ms)', () => {
    const p = plan({ assistants: [create('support', view({ instructions: 'Hello' }))] });
    const unread = Object.defineProperty({ ...p }, 'planHash', {
      enumerable: true,
      get: () => {
        throw new Error('the text renderer read planHash');
      },
    });
    expect(text(unread)).toBe(text(p));
  });
});
