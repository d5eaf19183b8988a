// Rego's own text form of a value (`[1, "a"]`, `{"k": true}`), which OPA uses
// when sprintf formats a composite or a boolean and when print() prints one.
// Sets arrive from the SDK as arrays, so they print as arrays (a known gap).

export function regoText(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(regoText).join(", ")}]`;
  if (typeof v === "object") {
    const entries = Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}: ${regoText((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(", ")}}`;
  }
  return String(v);
}
