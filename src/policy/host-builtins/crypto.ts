// crypto.* digests and HMACs with node:crypto; hex output as OPA.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { HostBuiltinName } from "../../wasm-abi/index.js";
import { str, type HostBuiltinImpl } from "./types.js";

const digest = (alg: string, name: HostBuiltinName<"crypto">): HostBuiltinImpl<"crypto"> => ({
  name,
  impl: (a) => createHash(alg).update(str(name, a, 0), "utf8").digest("hex"),
});

const hmac = (alg: string, name: HostBuiltinName<"crypto">): HostBuiltinImpl<"crypto"> => ({
  name,
  impl: (a) => createHmac(alg, str(name, a, 1)).update(str(name, a, 0), "utf8").digest("hex"),
});

export const cryptoBuiltins: HostBuiltinImpl<"crypto">[] = [
  digest("md5", "crypto.md5"),
  digest("sha1", "crypto.sha1"),
  digest("sha256", "crypto.sha256"),
  hmac("md5", "crypto.hmac.md5"),
  hmac("sha1", "crypto.hmac.sha1"),
  hmac("sha256", "crypto.hmac.sha256"),
  hmac("sha512", "crypto.hmac.sha512"),
  {
    name: "crypto.hmac.equal",
    impl: (a) => {
      const x = Buffer.from(str("crypto.hmac.equal", a, 0));
      const y = Buffer.from(str("crypto.hmac.equal", a, 1));
      return x.length === y.length && timingSafeEqual(x, y);
    },
  },
];
