// A port of Go's text/tabwriter (left-aligned, space padding), which kubectl uses for both
// `get` tables and `describe` output. Cells are tab-terminated; the last cell of a line is not
// part of a column. A column is aligned only over a contiguous block of lines that all have a
// cell in it, so a line without tabs ends every column block (this is what gives `describe`
// its section-by-section alignment).

export interface TabwriterOptions {
  /** Minimal cell width including padding. */
  minwidth: number;
  /** Padding added to the widest cell of a column. */
  padding: number;
}

/** kubectl get: printers.GetNewTabWriter (minwidth 6, tabwidth 4, padding 3, ' '). */
export const GET_TABWRITER: TabwriterOptions = { minwidth: 6, padding: 3 };
/** kubectl describe: tabbedString (minwidth 0, tabwidth 8, padding 2, ' '). */
export const DESCRIBE_TABWRITER: TabwriterOptions = { minwidth: 0, padding: 2 };

interface Cell {
  text: string;
  width: number;
}

/** Go's tabwriter counts runes, not UTF-16 code units. */
function runeWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Formats text exactly as Go's tabwriter.Writer would after Write(text) and Flush(). */
export function tabwrite(text: string, opts: TabwriterOptions): string {
  const raw = text.split('\n');
  // The piece after the last newline (usually empty) is written without a newline.
  const lines: Cell[][] = raw.map((line) =>
    line.split('\t').map((t) => ({ text: t, width: runeWidth(t) }))
  );
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i];
      for (let j = 0; j < line.length; j++) {
        const c = line[j];
        out.push(c.text);
        if (j < widths.length) out.push(' '.repeat(Math.max(0, widths[j] - c.width)));
      }
      if (i + 1 < lines.length) out.push('\n');
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t].length - 1) continue;
      // A cell exists in this column: print the lines above, then measure the block.
      writeLines(line0, t);
      line0 = t;
      let width = opts.minwidth;
      for (; t < line1; t++) {
        const line = lines[t];
        if (column >= line.length - 1) break;
        const w = line[column].width + opts.padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('');
}
