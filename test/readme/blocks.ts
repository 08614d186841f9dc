// The fenced code blocks of a Markdown file, and the shell commands inside them, for the test that
// runs the README. A block is skipped only when the line just before its opening fence is an
// HTML comment `<!-- not-run: <reason> -->` (invisible on GitHub); every other block with a
// language tag is run by the test.

export interface Block {
  /** The language tag after the opening fence ('' when there is none). */
  lang: string;
  /** The block's text, without the fences. */
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above the block. */
  heading: string;
  /** The reason given in `<!-- not-run: … -->` just before the fence; null when the block runs. */
  notRun: string | null;
}

export function markdownBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) heading = h[1]!.trim();
    const fence = /^(```+|~~~+)\s*([\w+-]*)\s*$/.exec(line);
    if (!fence) continue;
    const close = lines.findIndex((l, j) => j > i && l.trimEnd() === fence[1]);
    if (close < 0) throw new Error(`README line ${i + 1}: the code block opened here is never closed`);
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    const marker = k >= 0 ? /^<!--\s*not-run:\s*(.*?)\s*-->$/.exec(lines[k]!.trim()) : null;
    if (marker && marker[1]!.length === 0) throw new Error(`README line ${k + 1}: <!-- not-run: --> needs a reason`);
    blocks.push({ lang: fence[2]!.toLowerCase(), code: lines.slice(i + 1, close).join('\n'), line: i + 1, heading, notRun: marker ? marker[1]! : null });
    i = close;
  }
  return blocks;
}

export interface ShellCommand {
  /** The words of the command, quotes removed. */
  argv: string[];
  /** As written (continuation lines joined), for messages. */
  text: string;
  /** 1-based README line where the command starts. */
  line: number;
}

/**
 * The commands of a shell block: continuation lines (`\` at the end) joined, `# comments` and
 * blank lines dropped, `a && b` split into two commands. Words split on blanks, with '…' and "…"
 * quoting. Pipes, redirections and substitutions are refused: the test runs commands, not a shell.
 */
export function shellCommands(block: Block): ShellCommand[] {
  const out: ShellCommand[] = [];
  const lines = block.code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i]!;
    while (/\\\s*$/.test(text) && i + 1 < lines.length) text = text.replace(/\\\s*$/, ' ') + lines[++i]!.trim();
    const words = splitWords(text, block.line + 1 + start);
    let current: string[] = [];
    const flush = (): void => {
      if (current.length) out.push({ argv: current, text: current.join(' '), line: block.line + 1 + start });
      current = [];
    };
    for (const w of words) {
      if (w === '&&') flush();
      else current.push(w);
    }
    flush();
  }
  return out;
}

function splitWords(text: string, line: number): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '#' && word === null) break;
    if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error(`README line ${line}: unclosed ${c} in \`${text.trim()}\``);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if ('|<>;$`'.includes(c) || (c === '&' && text[i + 1] !== '&' && text[i - 1] !== '&')) {
      throw new Error(`README line ${line}: \`${text.trim()}\` uses '${c}'; the README test runs plain commands (and a && b), not shell syntax`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
