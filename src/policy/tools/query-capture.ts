// How a query's value is captured. A query that is one expression other than
// a unification or assignment is compiled as `VAR := (expr)`, so `1 == 2`
// answers false and `data.a.b` answers its value, as OPA's `eval` reports
// expression values; other queries answer their variable bindings.

/** The variable a captured query binds; chosen so no policy plausibly uses it. */
export const VALUE_VAR = "capgate_q__";

export function wrapQuery(q: string): string | undefined {
  const t = q.trim();
  if (t === "" || /^(not|some|every|import|package|default)\b/.test(t)) return undefined;
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "`") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (depth === 0) {
      if (c === ";" || c === "\n") return undefined;
      if (c === "=" && t[i + 1] !== "=" && !"=!<>:".includes(t[i - 1] ?? "")) return undefined;
      if (c === ":" && t[i + 1] === "=") return undefined;
      if (/\s/.test(c) && /^\s+with\s/.test(t.slice(i))) return undefined;
    }
  }
  return `${VALUE_VAR} := (${t})`;
}

/** Splits one solution of a captured query into its value and the user's bindings. */
export function splitSolution(solution: Record<string, unknown>): { value: unknown; bindings: Record<string, unknown> } {
  const { [VALUE_VAR]: value, ...bindings } = solution;
  return { value, bindings };
}
