// regex.globs_match: do two "regex globs" match a common string? A glob here
// is what OPA's glob-intersection library takes: literal characters, `.`,
// character classes `[a-z0-9]` (`[^...]` negated), `\` escapes, each
// optionally followed by `*`, `+` or `?`. The languages intersect when the
// product of the two patterns' automata reaches both ends.
import { builtinError, str, type HostBuiltinImpl } from "./types.js";

const NAME = "regex.globs_match";
const MAX_CODE_POINT = 0x10ffff;

/** A set of code points: sorted, disjoint, inclusive ranges. */
type CharSet = Array<[number, number]>;

interface Item {
  set: CharSet;
  /** How often the item may repeat: exactly once, zero or once, any number. */
  repeat: "one" | "optional" | "many";
}

function normalize(ranges: CharSet): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: CharSet = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(set: CharSet): CharSet {
  const out: CharSet = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!;
    const [blo, bhi] = b[j]!;
    if (alo <= bhi && blo <= ahi) return true;
    if (ahi < bhi) i++;
    else j++;
  }
  return false;
}

/** Parses a glob into items; `+` becomes the item once and then any number of times. */
function parseGlob(glob: string): Item[] {
  const cps = [...glob].map((c) => c.codePointAt(0)!);
  const items: Item[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw builtinError(NAME, `invalid glob ${JSON.stringify(glob)}: ${why}`);
  };
  while (i < cps.length) {
    const c = cps[i]!;
    let set: CharSet;
    if (c === 0x5c) {
      const next = cps[i + 1];
      if (next === undefined) fail("trailing backslash");
      set = [[next!, next!]];
      i += 2;
    } else if (c === 0x2e) {
      set = [[0, MAX_CODE_POINT]];
      i++;
    } else if (c === 0x5b) {
      ({ set, end: i } = parseClass(cps, i + 1, fail));
    } else if (c === 0x2a || c === 0x2b || c === 0x3f) {
      return fail(`${String.fromCodePoint(c)} must follow a character`);
    } else {
      set = [[c, c]];
      i++;
    }
    const q = cps[i];
    if (q === 0x2a) {
      items.push({ set, repeat: "many" });
      i++;
    } else if (q === 0x2b) {
      items.push({ set, repeat: "one" }, { set, repeat: "many" });
      i++;
    } else if (q === 0x3f) {
      items.push({ set, repeat: "optional" });
      i++;
    } else items.push({ set, repeat: "one" });
  }
  return items;
}

/** A class after its `[`: its set and the index after its `]`. */
function parseClass(cps: number[], start: number, fail: (why: string) => never): { set: CharSet; end: number } {
  let i = start;
  const negated = cps[i] === 0x5e;
  if (negated) i++;
  const ranges: CharSet = [];
  const one = (): number => {
    const c = cps[i];
    if (c === undefined) return fail("unterminated character class");
    if (c === 0x5c) {
      const next = cps[i + 1];
      if (next === undefined) return fail("unterminated character class");
      i += 2;
      return next;
    }
    i++;
    return c;
  };
  let first = true;
  while (cps[i] !== 0x5d || first) {
    if (cps[i] === undefined) fail("unterminated character class");
    first = false;
    const lo = one();
    if (cps[i] === 0x2d && cps[i + 1] !== undefined && cps[i + 1] !== 0x5d) {
      i++;
      const hi = one();
      if (hi < lo) fail("invalid character class range");
      ranges.push([lo, hi]);
    } else ranges.push([lo, lo]);
  }
  const set = normalize(ranges);
  return { set: negated ? complement(set) : set, end: i + 1 };
}

/** Positions reachable from `i` without reading a character (skipping optional and repeated items). */
function closure(items: Item[], i: number): number[] {
  const out = [i];
  while (i < items.length && items[i]!.repeat !== "one") out.push(++i);
  return out;
}

export function globsIntersect(a: string, b: string): boolean {
  const x = parseGlob(a);
  const y = parseGlob(b);
  const seen = new Set<number>();
  const stack: Array<[number, number]> = [];
  const push = (i: number, j: number): void => {
    for (const ci of closure(x, i)) {
      for (const cj of closure(y, j)) {
        const key = ci * (y.length + 1) + cj;
        if (!seen.has(key)) {
          seen.add(key);
          stack.push([ci, cj]);
        }
      }
    }
  };
  push(0, 0);
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    if (i === x.length && j === y.length) return true;
    const p = x[i];
    const q = y[j];
    if (!p || !q || !intersects(p.set, q.set)) continue;
    // Reading one character both accept: a repeated item stays where it is.
    push(p.repeat === "many" ? i : i + 1, q.repeat === "many" ? j : j + 1);
  }
  return false;
}

export const regexGlobsBuiltins: HostBuiltinImpl<"regex-globs">[] = [
  { name: NAME, impl: (a) => globsIntersect(str(NAME, a, 0), str(NAME, a, 1)) },
];
