// One spelling for a path inside a bundle, whichever tool wrote the archive:
// `./a/data.json`, `/a/data.json` and `a/data.json` all name `a/data.json`.
// The reader and the signature check both key files by it.

export function normalizeEntryPath(p: string): string {
  let s = p.replace(/\\/g, "/");
  while (s.startsWith("./") || s.startsWith("/")) s = s.startsWith("./") ? s.slice(2) : s.slice(1);
  return s;
}
