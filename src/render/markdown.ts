/**
 * The plan as pull-request comments: the summary first, a table of actions, then each
 * object's diff in a `<details>` block. It reads the plan in its JSON form, like the text
 * renderer.
 *
 * A plan longer than one comment is split into parts, never cut: between objects (table
 * rows, notes, diffs), so no part breaks a code fence or a `<details>`; a single diff too
 * long for a comment becomes several blocks, each fenced on its own. Each part of a
 * split plan starts with a hidden line `<!-- assistants plan: part N of M -->` (a script
 * splits the printed plan there) and names itself; the first carries the summary, the
 * counts and the plan hash, outside any fold.
 */
import type { Plan } from '../plan/types.js';
import { contextLine, objectBlocks, summaryLines } from './blocks.js';
import type { ActionLabel, Line, ObjectBlock, Sign } from './lines.js';
import { planJsonValue } from '../plan/plan-json.js';
import { naturalCompare } from '../natural-sort.js';

/** The most characters GitHub accepts in a comment body: the default length of a part. */
export const MARKDOWN_COMMENT_LIMIT = 65_536;
/** The most parts a plan is split into by default; what does not fit is named in the last. */
export const MARKDOWN_MAX_PARTS = 50;

export interface MarkdownOptions {
  /** The most characters in one part (default MARKDOWN_COMMENT_LIMIT). */
  maxPartLength?: number;
  /** The most parts (default MARKDOWN_MAX_PARTS). */
  maxParts?: number;
  /** Plain text shown in bold above the summary (an apply's outcome); escaped like any other. */
  heading?: string;
}

/** The smallest part length the splitter works with. */
const MIN_PART_LENGTH = 4_000;
/** Room kept in every part for the note that says what did not fit in the last one. */
const LEFT_OUT_RESERVE = 400;
/** How many `--target` keys the comment names. */
const TARGETS_SHOWN = 20;

/** The plan as one Markdown text: its parts, in order (one part when it fits in one comment). */
export function renderMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  return renderMarkdownParts(plan, options).join('\n');
}

/** The plan as comments, each at most `maxPartLength` characters. */
export function renderMarkdownParts(plan: Plan, options: MarkdownOptions = {}): string[] {
  const maxLength = Math.max(MIN_PART_LENGTH, options.maxPartLength ?? MARKDOWN_COMMENT_LIMIT);
  const maxParts = Math.max(1, options.maxParts ?? MARKDOWN_MAX_PARTS);
  const data = planJsonValue(plan);
  const blocks = naturalOrder(objectBlocks(data));
  const summary = summaryLines(data, blocks).map((l) => `**${escapeMarkdown(l)}**`);
  const heading = options.heading === undefined ? [] : [`**${escapeMarkdown(options.heading)}**`];
  const title = `### Plan for project "${escapeMarkdown(data.project)}", environment "${escapeMarkdown(data.environment)}"`;
  const head = joinSections([title, ...heading, ...summary, ...introLines(data)]).trimEnd();
  const notes = data.notes.map(
    (n) => `> ${n.level === 'warning' ? '**Warning:**' : '**Note:**'} ${n.key === null ? '' : `${escapeMarkdown(n.key)}: `}${withCodeSpans(n.message)}`,
  );
  const details = blocks.filter((b) => b.sign !== null).map((b) => ({ title: b.headline, lines: diffLines(b) }));

  const whole = joinSections([head, table(blocks.map(tableRow)), notes.join('\n>\n'), ...details.map((d) => detailsBlock(d.title, d.lines))]);
  if (whole.length <= maxLength) return [whole];

  const reserve = partReserve(data, maxParts);
  const room = maxLength - reserve;
  const units: Unit[] = [
    ...blocks.map((b): Unit => ({ kind: 'row', text: fitted(tableRow(b), room - TABLE_HEADER.length - 1) })),
    ...notes.map((n): Unit => ({ kind: 'note', text: fitted(n, room) })),
    ...details.flatMap((d) => detailsPieces(d.title, d.lines, room).map((text): Unit => ({ kind: 'diff', text }))),
  ];
  const packed = pack(head, units, room);
  const kept = packed.slice(0, maxParts);
  const left = packed.slice(maxParts).flatMap((p) => p.units);
  const count = kept.length;
  return kept.map((part, index) => {
    const number = index + 1;
    const sections = [
      `${partMarker(number, count)}\n${number === 1 ? `${head}\n\n${firstPartLine(count)}` : partTitle(data, number, count)}`,
      ...sectionsOf(part.units),
    ];
    if (number === count && left.length > 0) sections.push(leftOutNote(left, count));
    return joinSections(sections);
  });
}

/**
 * The plan's groups (each kind of object, each action) in the order the plan has them;
 * within a group, keys in natural order (a6 before a59).
 */
function naturalOrder(blocks: ObjectBlock[]): ObjectBlock[] {
  const groups = [...new Set(blocks.map((b) => `${b.kind} ${b.action}`))];
  const group = (b: ObjectBlock): number => groups.indexOf(`${b.kind} ${b.action}`);
  return [...blocks].sort((a, b) => group(a) - group(b) || naturalCompare(a.key, b.key));
}

/** A note's text escaped, the commands in it (`run: assistants ...`, `"assistants ..."`) as code spans. */
function withCodeSpans(message: string): string {
  const command = /"(assistants [^"]*)"|(?<=run: )(assistants [^;]*)/g;
  let out = '';
  let at = 0;
  for (const match of message.matchAll(command)) {
    const text = match[1] ?? match[2] ?? '';
    if (text.includes('`') || text.includes('\n')) continue;
    out += `${escapeMarkdown(message.slice(at, match.index))}\`${text}\``;
    at = match.index + match[0].length;
  }
  return out + escapeMarkdown(message.slice(at));
}

/** Blocks of another document than a plan (an environment diff): their table, then each one's diff. */
export function markdownBlocks(blocks: ObjectBlock[]): string {
  return joinSections([table(blocks.map(tableRow)), ...blocks.filter((b) => b.sign !== null).map((b) => detailsBlock(b.headline, diffLines(b)))]).trimEnd();
}

function introLines(plan: Plan): string[] {
  const context = escapeMarkdown(contextLine(plan));
  const hash = `Plan hash: \`${plan.planHash}\``;
  if (plan.targets.length === 0) return [context, hash];
  const shown = plan.targets.slice(0, TARGETS_SHOWN).map((t) => escapeMarkdown(JSON.stringify(t.slice(0, 100))));
  const more = plan.targets.length > TARGETS_SHOWN ? ` and ${plan.targets.length - TARGETS_SHOWN} more` : '';
  const targets = `${shown.join(', ')}${more}`;
  return [context, `Targeting is in effect: only ${targets} planned; the plan may be incomplete.`, hash];
}

// ---------------------------------------------------------------------------------------
// Splitting into parts

/** A piece of the plan no part may break: a table row, a note, or one `<details>` block. */
interface Unit {
  kind: 'row' | 'note' | 'diff';
  text: string;
}

interface Part {
  units: Unit[];
  size: number;
}

/** The hidden first line of each part of a split plan. */
function partMarker(number: number, count: number): string {
  return `<!-- assistants plan: part ${number} of ${count} -->`;
}

function firstPartLine(count: number): string {
  return `_This plan is split into ${count} comments: this is part 1 of ${count}._`;
}

function partTitle(plan: Plan, number: number, count: number): string {
  return `**Plan for project "${escapeMarkdown(plan.project)}", environment "${escapeMarkdown(plan.environment)}": part ${number} of ${count}**`;
}

/** Characters kept in each part for its marker, its part line (the head's, in the first) and the left-out note. */
function partReserve(plan: Plan, maxParts: number): number {
  const marker = partMarker(maxParts, maxParts).length + 1;
  const line = Math.max(firstPartLine(maxParts).length, partTitle(plan, maxParts, maxParts).length) + 2;
  return marker + line + LEFT_OUT_RESERVE + 1;
}

/**
 * Units into parts of at most `room` characters each (the head counted in the first), in
 * order: a unit that does not fit starts the next part. `fitted` and `detailsPieces` made
 * every unit fit an empty part.
 */
function pack(head: string, units: Unit[], room: number): Part[] {
  const parts: Part[] = [{ units: [], size: head.length }];
  for (const unit of units) {
    let part = parts[parts.length - 1] as Part;
    let cost = unitCost(part, unit);
    if (part.size + cost > room && part.units.length + (parts.length === 1 ? 1 : 0) > 0) {
      part = { units: [], size: 0 };
      parts.push(part);
      cost = unitCost(part, unit);
    }
    part.units.push(unit);
    part.size += cost;
  }
  return parts;
}

/** What adding `unit` to `part` adds: a row joins the table before it, or opens one. */
function unitCost(part: Part, unit: Unit): number {
  const last = part.units[part.units.length - 1];
  if (unit.kind === 'row' && last?.kind === 'row') return 1 + unit.text.length;
  const separator = 2;
  return separator + (unit.kind === 'row' ? TABLE_HEADER.length + 1 : 0) + unit.text.length;
}

/** A part's units as Markdown sections: consecutive rows in one table, each note and diff on its own. */
function sectionsOf(units: Unit[]): string[] {
  const sections: string[] = [];
  let rows: string[] = [];
  const flush = (): void => {
    if (rows.length > 0) sections.push(table(rows));
    rows = [];
  };
  for (const unit of units) {
    if (unit.kind === 'row') {
      rows.push(unit.text);
      continue;
    }
    flush();
    sections.push(unit.text);
  }
  flush();
  return sections;
}

function leftOutNote(left: Unit[], parts: number): string {
  const counted = (kind: Unit['kind'], one: string, many: string): string[] => {
    const n = left.filter((u) => u.kind === kind).length;
    return n === 0 ? [] : [`${n} ${n === 1 ? one : many}`];
  };
  const what = [...counted('row', 'table row', 'table rows'), ...counted('note', 'note', 'notes'), ...counted('diff', 'diff block', 'diff blocks')];
  return `> **Not shown:** ${what.join(', ')} did not fit in ${parts} comments. Run \`assistants plan\` to see the whole plan.`;
}

/** A row or note longer than `room` (only a hostile server's text makes one), shortened with an ellipsis. */
function fitted(text: string, room: number): string {
  return text.length <= room ? text : `${text.slice(0, Math.max(0, room - 1))}…`;
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

/**
 * A diff as `<details>` blocks of at most `room` characters: the whole block when it fits,
 * else its lines in consecutive blocks titled "(lines A-B of N)", each fenced on its own.
 * A single line longer than a block holds (only a hostile server's text makes one) is
 * shortened with an ellipsis.
 */
function detailsPieces(title: string, texts: string[], room: number): string[] {
  const whole = detailsBlock(title, texts);
  if (whole.length <= room) return [whole];
  const fence = fenceFor(texts);
  const summary = (first: number, last: number): string => `${escapeMarkdown(title)} (lines ${first}-${last} of ${texts.length})`;
  const lineRoom = room - detailsText(summary(texts.length, texts.length), [], '', fence).length - 1;
  const pieces: string[] = [];
  let lines: string[] = [];
  let size = 0;
  let first = 1;
  texts.forEach((text, index) => {
    const line = text.length <= lineRoom ? text : `${text.slice(0, Math.max(0, lineRoom - 1))}…`;
    if (lines.length > 0 && size + line.length + 1 > lineRoom) {
      pieces.push(detailsText(summary(first, index), lines, '', fence));
      lines = [];
      size = 0;
      first = index + 1;
    }
    lines.push(line);
    size += line.length + 1;
  });
  pieces.push(detailsText(summary(first, texts.length), lines, '', fence));
  return pieces;
}

function detailsText(summary: string, texts: string[], footer: string, fence = fenceFor(texts)): string {
  return `<details><summary>${summary}</summary>\n\n${fence}diff\n${texts.join('\n')}\n${fence}\n${footer}\n</details>`;
}

/**
 * A block's lines for a `diff` fence: each sign moved to the first column (`~` as `!`),
 * the text where the text renderer puts it. In a block that only adds or only removes,
 * every line (heredoc text, closing brackets) carries the block's sign.
 */
/**
 * The block's lines as a diff. What is added or removed whole (an object, a tool added to
 * an assistant, a function's parameters) is marked on every line down to its closing one,
 * so a reviewer sees all of it in green or red, not only its first line.
 */
function diffLines(block: ObjectBlock): string[] {
  const whole = block.sign === '+' || block.sign === '-' ? block.sign : null;
  let inherited: { sign: '+' | '-'; depth: number } | null = null;
  return block.lines.map((line: Line) => {
    if (inherited !== null && line.depth <= inherited.depth && line.sign !== null) inherited = null;
    let sign = whole ?? line.sign ?? inherited?.sign ?? null;
    if (inherited !== null && line.depth === inherited.depth && line.sign === null) {
      // The closing line of what was opened with the sign (`}`, `]`, `JSON`).
      sign = inherited.sign;
      if (/^[}\]]$|^[A-Z]+$/.test(line.text)) inherited = null;
    } else if (inherited === null && (line.sign === '+' || line.sign === '-') && /(\{|\[|<<-[A-Z]+)$/.test(line.text)) {
      inherited = { sign: line.sign, depth: line.depth };
    }
    return `${DIFF_MARKER[sign ?? 'none']}${' '.repeat(line.depth * 4 + 3)}${line.text}`.trimEnd();
  });
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
export function escapeMarkdown(text: string): string {
  return text.replace(/\r?\n|\r/g, ' ').replace(/[&<>\\`*_[\]|~#@]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
