import type { ImportProblem } from './candidate.ts';

const count = new Intl.NumberFormat('en-US');
const plural = (n: number, one: string, many = `${one}s`) => `${count.format(n)} ${n === 1 ? one : many}`;

/** "Imported 9,998 features; 2 skipped" — the line a person reads first. */
export function importSummary(imported: number, skipped: number): string {
  const head = `Imported ${plural(imported, 'feature')}`;
  return skipped > 0 ? `${head}; ${count.format(skipped)} skipped` : head;
}

/** One problem as a line: "feature 12 (id "fr") has a ring that is not closed". */
export function problemLine(problem: ImportProblem): string {
  const joiner = /^(has|is) /.test(problem.message) ? ' ' : ': ';
  return `${problem.where}${joiner}${problem.message}`;
}
