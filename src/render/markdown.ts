/**
 * The plan as a pull-request comment: the summary first, a table of actions, then each
 * object's diff in a `<details>` block. It reads the plan in its JSON form, like the text
 * renderer, and always fits a GitHub comment: diffs are cut first, the summary never.
 */
import type { Plan } from '../plan/types.js';
import { contextLine, objectBlocks, summaryLines } from './blocks.js';
import type { ActionLabel, Line, ObjectBlock, Sign } from './blocks.js';
import { planJsonValue } from './json.js';

/** The most characters GitHub accepts in a comment body. */
export const MARKDOWN_COMMENT_LIMIT = 65_536;

/** Room kept for the note that says what was cut. */
const CUT_NOTICE_RESERVE = 2_000;
/** A diff shortened to less than this is left out instead. */
const MIN_SHORTENED_DIFF = 400;
/** How long the list of left-out objects in the cut note may grow. */
const CUT_NAMES_LENGTH = 800;
/** How many `--target` keys the comment names. */
const TARGETS_SHOWN = 20;

export function renderMarkdown(plan: Plan): string {
  const data = planJsonValue(plan);
  const blocks = objectBlocks(data);
  const summary = summaryLines(data, blocks).map((l) => `**${escapeMarkdown(l)}**`);
  const intro = [...summary, ...introLines(data)];
  const rows = blocks.map(tableRow);
  const notes = data.notes.map(
    (n) => `> ${n.level === 'warning' ? '**Warning:**' : '**Note:**'} ${n.key === null ? '' : `${escapeMarkdown(n.key)}: `}${escapeMarkdown(n.message)}`,
  );
  const details = blocks.filter((b) => b.sign !== null).map((b) => ({ title: b.headline, lines: diffLines(b) }));

  const full = joinSections([...intro, table(rows), notes.join('\n>\n'), ...details.map((d) => detailsBlock(d.title, d.lines))]);
  if (full.length <= MARKDOWN_COMMENT_LIMIT) return full;

  const budget = MARKDOWN_COMMENT_LIMIT - CUT_NOTICE_RESERVE;
  const head = fitHead(intro, rows, notes, budget);
  let used = head.text.length;
  const kept: string[] = [];
  let shortened: string | null = null;
  const omitted: string[] = [];
  for (const d of details) {
    if (shortened !== null || omitted.length > 0) {
      omitted.push(d.title);
      continue;
    }
    const whole = detailsBlock(d.title, d.lines);
    if (used + 2 + whole.length <= budget) {
      kept.push(whole);
      used += 2 + whole.length;
      continue;
    }
    const cut = shortenedDetailsBlock(d.title, d.lines, budget - used - 2);
    if (cut === null) {
      omitted.push(d.title);
    } else {
      kept.push(cut);
      shortened = d.title;
    }
  }
  const notice = cutNotice(head.cut, shortened, omitted);
  return joinSections([...head.sections, notice, ...kept]);
}

function introLines(plan: Plan): string[] {
  const context = escapeMarkdown(contextLine(plan));
  if (plan.targets.length === 0) return [context];
  const shown = plan.targets.slice(0, TARGETS_SHOWN).map((t) => escapeMarkdown(JSON.stringify(t.slice(0, 100))));
  const more = plan.targets.length > TARGETS_SHOWN ? ` and ${plan.targets.length - TARGETS_SHOWN} more` : '';
  const targets = `${shown.join(', ')}${more}`;
  return [context, `Targeting is in effect: only ${targets} planned; the plan may be incomplete.`];
}

// ---------------------------------------------------------------------------------------
// The table

const TABLE_HEADER = '| | Kind | Key | Action | Reason | Changed fields |\n| --- | --- | --- | --- | --- | --- |';

function tableRow(block: ObjectBlock): string {
  const symbol = `${ACTION_EMOJI[block.action]}${block.sign === null ? '' : ` ${escapeMarkdown(block.sign)}`}`;
  const cells = [symbol, block.kind, escapeMarkdown(block.key), block.action, escapeMarkdown(block.reason), escapeMarkdown(block.fields.join(', '))];
  return `| ${cells.join(' | ')} |`;
}

const ACTION_EMOJI: Record<ActionLabel, string> = {
  create: '🟢',
  upload: '🟢',
  update: '🟡',
  drift: '🟡',
  replace: '🟠',
  destroy: '🔴',
  delete: '🔴',
  adopt: '🔵',
  forget: '⚪',
  ignore: '⚪',
};

function table(rows: string[]): string {
  return rows.length === 0 ? '' : `${TABLE_HEADER}\n${rows.join('\n')}`;
}

// ---------------------------------------------------------------------------------------
// Diffs in <details>

function detailsBlock(title: string, texts: string[]): string {
  return detailsText(escapeMarkdown(title), texts, '');
}

/** The block with as many of its lines as fit in `room` characters, or null when too few fit. */
function shortenedDetailsBlock(title: string, texts: string[], room: number): string | null {
  if (room < MIN_SHORTENED_DIFF) return null;
  const summary = `${escapeMarkdown(title)} (shortened)`;
  const fence = fenceFor(texts);
  const kept: string[] = [];
  // The footer is no longer than the one naming every line as cut.
  let size = detailsText(summary, [], `\n_${texts.length} more lines cut._\n`, fence).length;
  for (const text of texts) {
    if (size + text.length + 1 > room) break;
    kept.push(text);
    size += text.length + 1;
  }
  if (kept.length === 0) return null;
  return detailsText(summary, kept, `\n_${texts.length - kept.length} more lines cut._\n`, fence);
}

function detailsText(summary: string, texts: string[], footer: string, fence = fenceFor(texts)): string {
  return `<details><summary>${summary}</summary>\n\n${fence}diff\n${texts.join('\n')}\n${fence}\n${footer}\n</details>`;
}

/**
 * A block's lines for a `diff` fence: each sign moved to the first column (`~` as `!`),
 * the text where the text renderer puts it. In a block that only adds or only removes,
 * every line (heredoc text, closing brackets) carries the block's sign.
 */
function diffLines(block: ObjectBlock): string[] {
  const whole = block.sign === '+' || block.sign === '-' ? block.sign : null;
  return block.lines.map((line: Line) =>
    `${DIFF_MARKER[whole ?? line.sign ?? 'none']}${' '.repeat(line.depth * 4 + 3)}${line.text}`.trimEnd(),
  );
}

const DIFF_MARKER: Record<Sign | 'none', string> = { '+': '+', '-': '-', '~': '!', '-/+': '!', none: ' ' };

/** A backtick fence longer than any run of backticks in the text, as CommonMark requires. */
function fenceFor(texts: string[]): string {
  let longest = 0;
  for (const text of texts) {
    for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  }
  return '`'.repeat(Math.max(3, longest + 1));
}

// ---------------------------------------------------------------------------------------
// Cutting to fit

interface Head {
  sections: string[];
  text: string;
  /** What was cut from the table and notes, for the cut note. */
  cut: string[];
}

/** The summary, the table and the notes; if they are too long, table rows and notes are cut. */
function fitHead(intro: string[], rows: string[], notes: string[], budget: number): Head {
  const whole = [...intro, table(rows), notes.join('\n>\n')];
  if (joinSections(whole).length <= budget) return { sections: whole, text: joinSections(whole), cut: [] };
  const cut = notes.length > 0 ? [`${notes.length} ${notes.length === 1 ? 'note' : 'notes'}`] : [];
  let size = joinSections([...intro, TABLE_HEADER]).length + 200;
  const kept: string[] = [];
  for (const row of rows) {
    if (size + row.length + 1 > budget) break;
    kept.push(row);
    size += row.length + 1;
  }
  const left = rows.length - kept.length;
  if (left > 0) cut.unshift(`${left} table ${left === 1 ? 'row' : 'rows'}`);
  const sections = [...intro, table(kept)];
  return { sections, text: joinSections(sections), cut };
}

/** The note saying what was cut; it names left-out objects up to a length, so it fits its reserve. */
function cutNotice(headCut: string[], shortened: string | null, omitted: string[]): string {
  const parts: string[] = [...headCut];
  if (shortened !== null) parts.push(`the diff of ${nameForNotice(shortened)} (shortened)`);
  if (omitted.length > 0) {
    const named: string[] = [];
    let length = 0;
    for (const title of omitted) {
      const name = nameForNotice(title);
      if (length + name.length > CUT_NAMES_LENGTH) break;
      named.push(name);
      length += name.length + 2;
    }
    const more = omitted.length > named.length ? `${named.length > 0 ? '; ' : ''}and ${omitted.length - named.length} more` : '';
    parts.push(`${omitted.length} ${omitted.length === 1 ? 'diff' : 'diffs'} left out (${named.join('; ')}${more})`);
  }
  return (
    `> **Cut to fit GitHub's ${MARKDOWN_COMMENT_LIMIT.toLocaleString('en-US')}-character comment limit:** ` +
    `${parts.join(', ')}. Run \`assistants plan\` to see the whole plan.`
  );
}

/** At most 100 characters of a headline, escaped (at most 500 characters). */
function nameForNotice(headline: string): string {
  const short = headline.length > 100 ? `${headline.slice(0, 99)}…` : headline;
  return escapeMarkdown(short);
}

function joinSections(sections: string[]): string {
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------
// Escaping user strings

/**
 * Text safe in Markdown and HTML text (a paragraph, a table cell, a `<summary>`):
 * characters that Markdown, GitHub (mentions, issue links) or HTML would act on become
 * character references, which render as themselves; newlines become spaces.
 */
function escapeMarkdown(text: string): string {
  return text.replace(/\r?\n|\r/g, ' ').replace(/[&<>\\`*_[\]|~#@]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
