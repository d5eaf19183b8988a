// net.cidr_is_valid and net.cidr_expand (IPv4 and IPv6 parsing with
// node:net). The other net.cidr_* built-ins run inside the Wasm runtime.
import { isIPv4, isIPv6 } from "node:net";
import { builtinError, str, type HostBuiltinImpl } from "./types.js";

/** Expanding more addresses than this is refused rather than exhausting memory. */
const MAX_EXPAND = 65_536;

function parseCidr(s: string): { ip: string; bits: number; v6: boolean } | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const v6 = isIPv6(m[1]!);
  if (!v6 && !isIPv4(m[1]!)) return undefined;
  const bits = Number(m[2]);
  if (bits > (v6 ? 128 : 32)) return undefined;
  return { ip: m[1]!, bits, v6 };
}

function v4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

const intToV4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

export const netBuiltins: HostBuiltinImpl<"net">[] = [
  { name: "net.cidr_is_valid", impl: (a) => typeof a[0] === "string" && parseCidr(a[0]) !== undefined },
  {
    name: "net.cidr_expand",
    impl: (a) => {
      const n = "net.cidr_expand";
      const s = str(n, a, 0);
      const c = parseCidr(s);
      if (!c) throw builtinError(n, `invalid CIDR ${JSON.stringify(s)}`);
      if (c.v6) {
        if (c.bits < 128 - 16) throw builtinError(n, `${s} holds more than ${MAX_EXPAND} addresses`);
        throw builtinError(n, "expanding IPv6 ranges is not supported");
      }
      const size = 2 ** (32 - c.bits);
      if (size > MAX_EXPAND) throw builtinError(n, `${s} holds more than ${MAX_EXPAND} addresses`);
      const base = Math.floor(v4ToInt(c.ip) / size) * size;
      return Array.from({ length: size }, (_, i) => intToV4(base + i));
    },
  },
];
