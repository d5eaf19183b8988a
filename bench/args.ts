// The benches' numeric flags (`--name N`): one reader, so a mistyped value is
// refused with one line naming the flag instead of running with NaN.
function refuse(message: string): never {
  console.error(message);
  process.exit(2);
}

function read(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (Number.isNaN(v)) refuse(`--${name} must be a number, not ${JSON.stringify(process.argv[i + 1] ?? "")}`);
  return v;
}

/** `--name N`, or `fallback` when the flag is absent. */
export function arg(name: string, fallback: number): number {
  return read(name) ?? fallback;
}

/** `--name N` where only a finite N above zero makes sense (counts, rates, durations). */
export function positiveArg(name: string, fallback: number): number {
  const v = read(name);
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) refuse(`--${name} must be a positive number`);
  return v;
}
