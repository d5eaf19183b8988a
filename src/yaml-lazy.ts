// The `yaml` package, loaded on first use instead of at start-up: a sidecar
// whose config file, bundle and policy never touch YAML does not pay for it.
// Loaded synchronously, so the parsers that use it keep their signatures; yaml's
// Node entry is CommonJS, the very file an `import` of it loads.
import { createRequire } from "node:module";

type Yaml = typeof import("yaml");

let loaded: Yaml | undefined;

export function yaml(): Yaml {
  return (loaded ??= createRequire(import.meta.url)("yaml") as Yaml);
}
