/**
 * GitHub Actions' workflow commands
 * (https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands), which
 * annotate a file on the pull request's diff. Apart from github-actions.ts, which needs the
 * planner, so that validate can annotate without loading it.
 */
export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface AnnotationPlace {
  file: string;
  line: number;
  col: number;
}

/** `::error file=F,line=L,col=C::message`, with the escapes the runner undoes. */
export function workflowCommand(level: AnnotationLevel, message: string, place?: AnnotationPlace): string {
  const properties = place === undefined ? '' : ` file=${escapeProperty(place.file)},line=${place.line},col=${place.col}`;
  return `::${level}${properties}::${escapeData(message)}`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
