/**
 * The figures as a markdown table, with the targets and pass/fail, and RESULTS.md:
 * the generated part is rewritten on every run; notes written by hand below the marker stay.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LoadResult } from './load.js';

export const NOTES_MARKER = '<!-- hand-written notes below this line are kept by `npm run bench` -->';

export interface Row {
  measure: string;
  result: string;
  ratio: string;
  target: string;
  /** undefined: informational, no target. */
  pass?: boolean;
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const int = (n: number) => (Number.isFinite(n) ? fmt.format(n) : 'n/a');
export const ms = (n: number) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(1) : fmt.format(n)} ms` : 'n/a');
export const times = (n: number) => (Number.isFinite(n) ? `${n.toFixed(n < 0.1 ? 3 : 2)}x` : 'n/a');

export function loadText(r: LoadResult): string {
  const bad = r.non2xx || r.errors ? `, **non-2xx ${int(r.non2xx)}, errors ${int(r.errors)}** (${JSON.stringify(r.statuses)})` : ', non-2xx 0';
  return `${int(r.rps)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}${bad}`;
}

export function table(rows: Row[]): string {
  const lines = ['| measure | result | ratio | target | |', '|---|---|---|---|---|'];
  for (const r of rows) {
    const verdict = r.pass === undefined ? '' : r.pass ? 'pass' : '**FAIL**';
    lines.push(`| ${r.measure} | ${r.result} | ${r.ratio} | ${r.target} | ${verdict} |`);
  }
  return lines.join('\n');
}

/** Rewrite the generated part of `path`, keeping whatever follows the notes marker. */
export function writeResults(path: string, generated: string): void {
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const at = old.indexOf(NOTES_MARKER);
  const notes = at >= 0 ? old.slice(at) : `${NOTES_MARKER}\n`;
  writeFileSync(path, `${generated.trimEnd()}\n\n${notes}`, { mode: 0o640 });
}
