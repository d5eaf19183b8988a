// GET /health with OPA's query semantics: plain, it says the process serves;
// `?bundles` also needs every configured bundle activated at least once;
// `?plugins` needs every plugin (bundle, decision_logs, status, replica, as
// configured) in state OK, `exclude-plugin=NAME` leaving one out. A check that
// fails answers 500 naming what is not ready, as OPA does.
export type PluginState = "OK" | "NOT_READY" | "ERROR" | "WARN";

export interface PluginStatus {
  state: PluginState;
  message?: string;
}

export interface HealthSource {
  /** Each configured bundle by name, and whether it has been activated. */
  bundles(): Record<string, boolean>;
  /** Each configured plugin's state, by OPA's plugin names where OPA has one. */
  plugins(): Record<string, PluginStatus>;
}

export interface HealthQuery {
  bundles: boolean;
  plugins: boolean;
  excludePlugins: readonly string[];
}

export type HealthAnswer = { ok: true } | { ok: false; message: string };

export function checkHealth(source: HealthSource, q: HealthQuery): HealthAnswer {
  if (q.bundles) {
    const waiting = Object.entries(source.bundles()).filter(([, activated]) => !activated).map(([name]) => name);
    if (waiting.length > 0) return { ok: false, message: `bundle(s) not activated yet: ${waiting.join(", ")}` };
  }
  if (q.plugins) {
    const bad = Object.entries(source.plugins())
      .filter(([name, p]) => p.state !== "OK" && !q.excludePlugins.includes(name))
      .map(([name, p]) => `${name} ${p.state}${p.message === undefined ? "" : ` (${p.message})`}`);
    if (bad.length > 0) return { ok: false, message: `plugin(s) not OK: ${bad.join("; ")}` };
  }
  return { ok: true };
}

export interface SidecarHealthDeps {
  engine: { readonly loaded: boolean };
  /** The configured bundle's name (file name or service resource), or null when none is configured. */
  bundleName: string | null;
  bundleService: { readonly activated: boolean; status(): { message?: string } } | null;
  upload: { stats(): { consecutive_failures: number; last_error?: string } } | null;
  status: () => { state(): PluginStatus } | null;
  statusConfigured: boolean;
  /** The replica's status, or null when no replica is configured. */
  replica: () => string | null;
}

/** The sidecar's bundles and plugins as /health reads them (the status reporter reports the same plugins). */
export function sidecarHealth(d: SidecarHealthDeps): HealthSource {
  return {
    bundles: () => (d.bundleName === null ? {} : { [d.bundleName]: d.bundleService?.activated ?? d.engine.loaded }),
    plugins: () => {
      const out: Record<string, PluginStatus> = {};
      const waiting = d.bundleService?.status().message ?? "no policy bundle loaded";
      if (d.bundleName !== null) out["bundle"] = d.engine.loaded ? { state: "OK" } : { state: "NOT_READY", message: waiting };
      if (d.upload !== null) {
        const u = d.upload.stats();
        out["decision_logs"] = u.consecutive_failures === 0 ? { state: "OK" } : { state: "ERROR", message: u.last_error ?? "uploads failing" };
      }
      if (d.statusConfigured) out["status"] = d.status()?.state() ?? { state: "NOT_READY", message: "not started" };
      let replica: string | null;
      try {
        replica = d.replica();
      } catch {
        replica = "unreadable";
      }
      if (replica !== null) out["replica"] = replica === "current" ? { state: "OK" } : { state: "NOT_READY", message: `replica ${replica}` };
      return out;
    },
  };
}
