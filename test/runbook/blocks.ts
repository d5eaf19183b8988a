// Reads the fenced `sh` blocks of a markdown document, in order, with the line
// each starts on; a block whose first line is `# on each sidecar host` is
// marked to run once per sidecar. Other fences (yaml, text, ...) are prose.
export interface Block {
  file: string;
  line: number;
  code: string;
  onEachSidecar: boolean;
}

export const EACH_SIDECAR = "# on each sidecar host";

export function extractBlocks(markdown: string, file: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```sh\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`${file}:${start}: a sh block is not closed`);
    blocks.push({ file, line: start, code: body.join("\n") + "\n", onEachSidecar: body[0]?.trim() === EACH_SIDECAR });
  }
  return blocks;
}
