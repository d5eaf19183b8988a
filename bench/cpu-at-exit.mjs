// Preloaded by bench:eval into each measured process: prints the process's own
// CPU time (user + system, µs) on stderr as it exits.
process.on("exit", () => {
  const u = process.cpuUsage();
  process.stderr.write(`\nCPU_US ${u.user + u.system}\n`);
});
