// What the serve bundle has in place of node:child_process (scripts/build.mjs
// aliases it): commander requires it at load (~2.5 ms of serve's start) for
// executable subcommands (`capgate-foo` files), which capgate does not have.
// Nothing else in the bundle uses it; a call says so rather than spawn.
export function spawn(): never {
  throw new Error("capgate serve starts no child process (the serve bundle leaves node:child_process out)");
}
