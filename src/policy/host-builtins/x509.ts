// crypto.x509.* and crypto.parse_private_keys with node:crypto (X509Certificate,
// KeyObject). Certificates answer in the field names of Go's x509.Certificate
// as OPA marshals it (Subject/Issuer as pkix.Name, NotBefore/NotAfter as
// RFC 3339, DNSNames, IPAddresses, ...) for the fields policies read; keys as
// JWKs, as OPA returns them. Certificate requests, which node cannot parse, go
// through a small DER reader.
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { builtinError, obj, str, type HostBuiltinImpl } from "./types.js";

type J = Record<string, unknown>;

// ---- input: PEM, base64 PEM or base64 DER -----------------------------------

interface PemBlock {
  type: string;
  der: Buffer;
}

function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ type: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ""), "base64") });
  return out;
}

/** OPA's reading of certificate input: PEM text, or base64 of PEM text or of DER. */
function certificateDers(name: string, input: string): Buffer[] {
  let text = input.trim();
  if (!text.startsWith("-----BEGIN")) {
    const decoded = Buffer.from(text, "base64");
    if (decoded.toString("latin1").startsWith("-----BEGIN")) text = decoded.toString("utf8");
    else return splitDer(name, decoded);
  }
  const blocks = pemBlocks(text).filter((b) => b.type === "CERTIFICATE");
  if (blocks.length === 0) throw builtinError(name, "failed to find any PEM data in input");
  return blocks.map((b) => b.der);
}

/** Concatenated DER certificates, split at their outer SEQUENCE lengths. */
function splitDer(name: string, der: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < der.length) {
    const el = readElement(der, at);
    if (!el) throw builtinError(name, "x509: malformed certificate");
    out.push(der.subarray(at, el.end));
    at = el.end;
  }
  if (out.length === 0) throw builtinError(name, "x509: malformed certificate");
  return out;
}

// ---- a small DER reader -------------------------------------------------------

interface Element {
  tag: number;
  start: number; // first content byte
  end: number; // one past the last content byte
}

function readElement(b: Buffer, at: number): Element | undefined {
  if (at + 2 > b.length) return undefined;
  const tag = b[at]!;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > b.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > b.length) return undefined;
  return { tag, start, end: start + len };
}

function children(b: Buffer, el: Element): Element[] {
  const out: Element[] = [];
  for (let at = el.start; at < el.end; ) {
    const c = readElement(b, at);
    if (!c) throw new Error("malformed DER");
    out.push(c);
    at = c.end;
  }
  return out;
}

function oid(b: Buffer, el: Element): number[] {
  const bytes = b.subarray(el.start, el.end);
  const out: number[] = [];
  let v = 0;
  for (const x of bytes) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      if (out.length === 0) out.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else out.push(v);
      v = 0;
    }
  }
  return out;
}

// ---- names --------------------------------------------------------------------

const NAME_FIELDS: Record<string, { oid: number[]; field: string; many: boolean }> = {
  C: { oid: [2, 5, 4, 6], field: "Country", many: true },
  O: { oid: [2, 5, 4, 10], field: "Organization", many: true },
  OU: { oid: [2, 5, 4, 11], field: "OrganizationalUnit", many: true },
  L: { oid: [2, 5, 4, 7], field: "Locality", many: true },
  ST: { oid: [2, 5, 4, 8], field: "Province", many: true },
  street: { oid: [2, 5, 4, 9], field: "StreetAddress", many: true },
  postalCode: { oid: [2, 5, 4, 17], field: "PostalCode", many: true },
  serialNumber: { oid: [2, 5, 4, 5], field: "SerialNumber", many: false },
  CN: { oid: [2, 5, 4, 3], field: "CommonName", many: false },
};

function emptyName(): J {
  return { Country: null, Organization: null, OrganizationalUnit: null, Locality: null, Province: null, StreetAddress: null, PostalCode: null, SerialNumber: "", CommonName: "", Names: [], ExtraNames: null };
}

function addAttribute(name: J, key: string | number[], value: string): void {
  const f = typeof key === "string" ? NAME_FIELDS[key] : Object.values(NAME_FIELDS).find((x) => x.oid.join(".") === key.join("."));
  (name["Names"] as J[]).push({ Type: f ? f.oid : key, Value: value });
  if (!f) return;
  if (f.many) name[f.field] = [...((name[f.field] as string[] | null) ?? []), value];
  else name[f.field] = value;
}

/** pkix.Name from node's "CN=a\nO=b" form. */
function nameFromText(text: string): J {
  const name = emptyName();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) addAttribute(name, line.slice(0, eq), line.slice(eq + 1));
  }
  return name;
}

/** pkix.Name from a DER Name (SEQUENCE of SETs of AttributeTypeAndValue). */
function nameFromDer(b: Buffer, el: Element): J {
  const name = emptyName();
  for (const rdn of children(b, el)) {
    for (const atv of children(b, rdn)) {
      const [type, value] = children(b, atv);
      if (type && value) addAttribute(name, oid(b, type), b.subarray(value.start, value.end).toString("utf8"));
    }
  }
  return name;
}

// ---- keys -----------------------------------------------------------------------

const PUBLIC_KEY_ALGORITHM: Record<string, number> = { rsa: 1, dsa: 2, ec: 3, ed25519: 4 };

/** The public key as Go marshals it: RSA {N, E}, ECDSA {X, Y} (as numbers, exact), Ed25519 bytes. */
function publicKeyJson(key: KeyObject): unknown {
  const jwk = key.export({ format: "jwk" });
  const big = (b64?: string): bigint | null => (b64 ? BigInt(`0x${Buffer.from(b64, "base64url").toString("hex") || "0"}`) : null);
  if (jwk.kty === "RSA") return { N: big(jwk.n), E: Number(big(jwk.e)) };
  if (jwk.kty === "EC") return { Curve: { Name: jwk.crv }, X: big(jwk.x), Y: big(jwk.y) };
  if (jwk.kty === "OKP") return Buffer.from(jwk.x ?? "", "base64url").toString("base64");
  return null;
}

// ---- certificates -------------------------------------------------------------------

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function altNames(san: string | undefined): { dns: string[]; email: string[]; ip: string[]; uri: string[] } {
  const out = { dns: [] as string[], email: [] as string[], ip: [] as string[], uri: [] as string[] };
  for (const part of (san ?? "").split(/, (?=[A-Za-z ]+:)/)) {
    const colon = part.indexOf(":");
    const kind = part.slice(0, colon);
    const value = part.slice(colon + 1).replace(/^"|"$/g, "");
    if (kind === "DNS") out.dns.push(value);
    else if (kind === "email") out.email.push(value);
    else if (kind === "IP Address") out.ip.push(value);
    else if (kind === "URI") out.uri.push(value);
  }
  return out;
}

function uriJson(u: string): J {
  try {
    const url = new URL(u);
    return { Scheme: url.protocol.replace(/:$/, ""), Opaque: "", User: null, Host: url.host, Path: decodeURIComponent(url.pathname), RawPath: "", OmitHost: false, ForceQuery: false, RawQuery: url.search.replace(/^\?/, ""), Fragment: url.hash.replace(/^#/, ""), RawFragment: "" };
  } catch {
    return { Scheme: "", Opaque: u };
  }
}

/** Version (1-based) of a certificate DER: [0] EXPLICIT INTEGER in the TBS, v1 when absent. */
function certVersion(der: Buffer): number {
  const outer = readElement(der, 0);
  const tbs = outer && readElement(der, outer.start);
  const first = tbs && readElement(der, tbs.start);
  if (!first || first.tag !== 0xa0) return 1;
  const v = readElement(der, first.start);
  return v ? der[v.start]! + 1 : 1;
}

function certificateJson(der: Buffer, cert: X509Certificate): J {
  const san = altNames(cert.subjectAltName);
  const keyType = cert.publicKey.asymmetricKeyType ?? "";
  return {
    Raw: der.toString("base64"),
    Version: certVersion(der),
    SerialNumber: BigInt(`0x${cert.serialNumber}`),
    Issuer: nameFromText(cert.issuer),
    Subject: nameFromText(cert.subject),
    NotBefore: rfc3339(new Date(cert.validFrom)),
    NotAfter: rfc3339(new Date(cert.validTo)),
    PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHM[keyType] ?? 0,
    PublicKey: publicKeyJson(cert.publicKey),
    IsCA: cert.ca,
    BasicConstraintsValid: cert.ca,
    DNSNames: san.dns.length ? san.dns : null,
    EmailAddresses: san.email.length ? san.email : null,
    IPAddresses: san.ip.length ? san.ip : null,
    URIs: san.uri.length ? san.uri.map(uriJson) : null,
    ExtKeyUsage: null,
    UnknownExtKeyUsage: null,
  };
}

function parseCertificates(name: string, input: string): Array<{ der: Buffer; cert: X509Certificate }> {
  return certificateDers(name, input).map((der) => {
    try {
      return { der, cert: new X509Certificate(der) };
    } catch (e) {
      throw builtinError(name, `x509: malformed certificate: ${(e as Error).message}`);
    }
  });
}

interface VerifyOptions {
  dnsName?: string;
  nowMs: number;
  keyUsages?: string[];
}

const EXT_KEY_USAGE_OIDS: Record<string, string> = {
  KeyUsageAny: "2.5.29.37.0",
  KeyUsageServerAuth: "1.3.6.1.5.5.7.3.1",
  KeyUsageClientAuth: "1.3.6.1.5.5.7.3.2",
  KeyUsageCodeSigning: "1.3.6.1.5.5.7.3.3",
  KeyUsageEmailProtection: "1.3.6.1.5.5.7.3.4",
  KeyUsageTimeStamping: "1.3.6.1.5.5.7.3.8",
  KeyUsageOCSPSigning: "1.3.6.1.5.5.7.3.9",
};

/** The first certificate is the root, the last the leaf, the others intermediates (as OPA). */
function chainValid(certs: X509Certificate[], o: VerifyOptions): boolean {
  if (certs.length < 2) return false;
  const now = o.nowMs;
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i]!;
    if (now < Date.parse(c.validFrom) || now > Date.parse(c.validTo)) return false;
    const issuer = i === 0 ? c : certs[i - 1]!;
    if (i < certs.length - 1 && !c.ca) return false;
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) return false;
  }
  const leaf = certs[certs.length - 1]!;
  if (o.dnsName !== undefined && leaf.checkHost(o.dnsName) === undefined) return false;
  const usages = o.keyUsages ?? ["KeyUsageServerAuth"];
  if (!usages.includes("KeyUsageAny") && leaf.keyUsage && leaf.keyUsage.length > 0) {
    const wanted = usages.map((u) => EXT_KEY_USAGE_OIDS[u]);
    if (!leaf.keyUsage.some((k) => k === "2.5.29.37.0" || wanted.includes(k))) return false;
  }
  return true;
}

function verifyOptions(name: string, raw: J): VerifyOptions {
  const o: VerifyOptions = { nowMs: Date.now() };
  for (const [k, v] of Object.entries(raw)) {
    if (k === "DNSName") {
      if (typeof v !== "string") throw builtinError(name, "DNSName must be a string");
      o.dnsName = v;
    } else if (k === "CurrentTime") {
      if (typeof v === "bigint") o.nowMs = Number(v / 1_000_000n);
      else if (typeof v === "number") o.nowMs = v / 1e6;
      else throw builtinError(name, "CurrentTime must be a number of nanoseconds");
    } else if (k === "KeyUsages") {
      if (!Array.isArray(v) || v.some((u) => typeof u !== "string" || !(u in EXT_KEY_USAGE_OIDS))) {
        throw builtinError(name, `KeyUsages must hold some of ${Object.keys(EXT_KEY_USAGE_OIDS).join(", ")}`);
      }
      o.keyUsages = v as string[];
    } else if (k !== "MaxConstraintComparisons") throw builtinError(name, `invalid option ${JSON.stringify(k)}`);
  }
  return o;
}

function parseAndVerify(name: string, input: string, options: VerifyOptions): [boolean, J[]] {
  let certs: Array<{ der: Buffer; cert: X509Certificate }>;
  try {
    certs = parseCertificates(name, input);
  } catch {
    return [false, []];
  }
  if (!chainValid(certs.map((c) => c.cert), options)) return [false, []];
  return [true, certs.map((c) => certificateJson(c.der, c.cert))];
}

// ---- certificate requests (PKCS #10) ------------------------------------------------

const SAN_OID = "2.5.29.17";
const EXTENSION_REQUEST_OID = "1.2.840.113549.1.9.14";

function csrJson(name: string, input: string): J {
  let text = input.trim();
  if (!text.startsWith("-----BEGIN")) {
    const decoded = Buffer.from(text, "base64");
    text = decoded.toString("latin1").startsWith("-----BEGIN") ? decoded.toString("utf8") : "";
    if (text === "") return csrFromDer(name, decoded);
  }
  const block = pemBlocks(text).find((b) => b.type === "CERTIFICATE REQUEST" || b.type === "NEW CERTIFICATE REQUEST");
  if (!block) throw builtinError(name, "failed to find a certificate request in the input");
  return csrFromDer(name, block.der);
}

function csrFromDer(name: string, der: Buffer): J {
  try {
    const outer = readElement(der, 0)!;
    const [info, , signature] = children(der, outer);
    const [version, subject, spki, attributes] = children(der, info!);
    const key = createPublicKey({ key: der.subarray(spki!.start - headerLength(der, spki!), spki!.end), format: "der", type: "spki" });
    const dns: string[] = [];
    const email: string[] = [];
    const ip: string[] = [];
    const uri: string[] = [];
    if (attributes && attributes.tag === 0xa0) {
      for (const attr of children(der, attributes)) {
        const [type, values] = children(der, attr);
        if (!type || !values || oid(der, type).join(".") !== EXTENSION_REQUEST_OID) continue;
        for (const exts of children(der, values)) {
          for (const ext of children(der, exts)) {
            const parts = children(der, ext);
            if (oid(der, parts[0]!).join(".") !== SAN_OID) continue;
            const octets = parts[parts.length - 1]!;
            const seq = readElement(der, octets.start)!;
            for (const gn of children(der, seq)) {
              const v = der.subarray(gn.start, gn.end);
              if (gn.tag === 0x82) dns.push(v.toString("latin1"));
              else if (gn.tag === 0x81) email.push(v.toString("latin1"));
              else if (gn.tag === 0x86) uri.push(v.toString("latin1"));
              else if (gn.tag === 0x87) ip.push(v.length === 4 ? [...v].join(".") : (v.toString("hex").match(/.{4}/g) ?? []).join(":"));
            }
          }
        }
      }
    }
    return {
      Raw: der.toString("base64"),
      Version: der[version!.start]!,
      Signature: der.subarray(signature!.start + 1, signature!.end).toString("base64"),
      PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHM[key.asymmetricKeyType ?? ""] ?? 0,
      PublicKey: publicKeyJson(key),
      Subject: nameFromDer(der, subject!),
      DNSNames: dns.length ? dns : null,
      EmailAddresses: email.length ? email : null,
      IPAddresses: ip.length ? ip : null,
      URIs: uri.length ? uri.map(uriJson) : null,
    };
  } catch (e) {
    throw builtinError(name, `x509: malformed certificate request: ${(e as Error).message}`);
  }
}

/** Bytes of tag and length before an element's content. */
function headerLength(b: Buffer, el: Element): number {
  for (let h = 2; h <= 6; h++) {
    const at = el.start - h;
    if (at >= 0 && readElement(b, at)?.end === el.end && readElement(b, at)?.start === el.start) return h;
  }
  throw new Error("malformed DER");
}

// ---- private keys ----------------------------------------------------------------------

function privateKeyJwk(name: string, block: PemBlock): J {
  const format = block.type === "RSA PRIVATE KEY" ? "pkcs1" : block.type === "EC PRIVATE KEY" ? "sec1" : "pkcs8";
  try {
    return createPrivateKey({ key: block.der, format: "der", type: format }).export({ format: "jwk" }) as J;
  } catch (e) {
    throw builtinError(name, `cannot parse the ${block.type}: ${(e as Error).message}`);
  }
}

/** PEM text, or base64 of PEM text, as OPA reads key input. */
function pemText(input: string): string {
  const t = input.trim();
  if (t.startsWith("-----BEGIN")) return t;
  const decoded = Buffer.from(t, "base64").toString("utf8");
  return decoded.startsWith("-----BEGIN") ? decoded : t;
}

function keypair(name: string, certInput: string, keyInput: string): J {
  const certs = parseCertificates(name, certInput);
  const block = pemBlocks(pemText(keyInput)).find((b) => /PRIVATE KEY$/.test(b.type));
  if (!block) throw builtinError(name, "tls: failed to find any PEM data in key input");
  const jwk = privateKeyJwk(name, block);
  const leaf = certs[0]!;
  const pub = createPublicKey(createPrivateKey({ key: jwk as never, format: "jwk" })).export({ format: "jwk" });
  const certPub = leaf.cert.publicKey.export({ format: "jwk" });
  if (pub.n !== certPub.n || pub.x !== certPub.x || pub.y !== certPub.y) throw builtinError(name, "tls: private key does not match public key");
  return { Certificate: certs.map((c) => c.der.toString("base64")), PrivateKey: jwk, Leaf: certificateJson(leaf.der, leaf.cert) };
}

export const x509Builtins: HostBuiltinImpl<"x509">[] = [
  {
    name: "crypto.x509.parse_certificates",
    impl: (a) => parseCertificates("crypto.x509.parse_certificates", str("crypto.x509.parse_certificates", a, 0)).map((c) => certificateJson(c.der, c.cert)),
  },
  {
    name: "crypto.x509.parse_and_verify_certificates",
    impl: (a) => parseAndVerify("crypto.x509.parse_and_verify_certificates", str("crypto.x509.parse_and_verify_certificates", a, 0), { nowMs: Date.now() }),
  },
  {
    name: "crypto.x509.parse_and_verify_certificates_with_options",
    impl: (a) => {
      const n = "crypto.x509.parse_and_verify_certificates_with_options";
      return parseAndVerify(n, str(n, a, 0), verifyOptions(n, obj(n, a, 1)));
    },
  },
  {
    name: "crypto.x509.parse_certificate_request",
    impl: (a) => csrJson("crypto.x509.parse_certificate_request", str("crypto.x509.parse_certificate_request", a, 0)),
  },
  {
    name: "crypto.x509.parse_keypair",
    impl: (a) => keypair("crypto.x509.parse_keypair", str("crypto.x509.parse_keypair", a, 0), str("crypto.x509.parse_keypair", a, 1)),
  },
  {
    name: "crypto.x509.parse_rsa_private_key",
    impl: (a) => {
      const n = "crypto.x509.parse_rsa_private_key";
      const block = pemBlocks(pemText(str(n, a, 0))).find((b) => b.type === "RSA PRIVATE KEY" || b.type === "PRIVATE KEY");
      if (!block) throw builtinError(n, "failed to find a PEM RSA private key");
      const jwk = privateKeyJwk(n, block);
      if (jwk["kty"] !== "RSA") throw builtinError(n, "the key is not an RSA key");
      return jwk;
    },
  },
  {
    name: "crypto.parse_private_keys",
    impl: (a) => {
      const n = "crypto.parse_private_keys";
      const text = str(n, a, 0);
      if (text.trim() === "") return [];
      return pemBlocks(pemText(text))
        .filter((b) => /PRIVATE KEY$/.test(b.type))
        .map((b) => privateKeyJwk(n, b));
    },
  },
];
