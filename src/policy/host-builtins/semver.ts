// semver.* built-ins with Semantic Versioning 2.0.0 precedence rules.
import { builtinError, typeName, type HostBuiltinImpl } from "./types.js";

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

function parse(name: string, v: unknown, i: number): RegExpExecArray {
  if (typeof v !== "string") throw builtinError(name, `operand ${i + 1} must be a string, got ${typeName(v)}`);
  const m = SEMVER.exec(v);
  if (!m) throw builtinError(name, `operand ${i + 1}: ${JSON.stringify(v)} is not a valid SemVer`);
  return m;
}

function cmpIdent(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Math.sign(Number(BigInt(a) - BigInt(b)));
  if (na) return -1;
  if (nb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemver(a: RegExpExecArray, b: RegExpExecArray): number {
  for (let i = 1; i <= 3; i++) {
    const d = cmpIdent(a[i]!, b[i]!);
    if (d !== 0) return d;
  }
  const pa = a[4];
  const pb = b[4];
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  const xa = pa.split(".");
  const xb = pb.split(".");
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    const d = cmpIdent(xa[i]!, xb[i]!);
    if (d !== 0) return d;
  }
  return 0;
}

export const semverBuiltins: HostBuiltinImpl<"semver">[] = [
  {
    name: "semver.compare",
    impl: (a) => compareSemver(parse("semver.compare", a[0], 0), parse("semver.compare", a[1], 1)),
  },
  { name: "semver.is_valid", impl: (a) => typeof a[0] === "string" && SEMVER.test(a[0]) },
];
