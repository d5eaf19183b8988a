// A rows progress bar for long exports and applies, shown only when stderr is
// a terminal so logs and pipes stay clean.
import cliProgress from "cli-progress";

export interface Progress {
  update(rows: number): void;
  stop(): void;
}

const silent: Progress = { update: () => undefined, stop: () => undefined };

export function rowsProgress(label: string, total: number): Progress {
  if (!process.stderr.isTTY || total <= 0) return silent;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total} rows | {eta_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (rows) => bar.update(Math.min(rows, total)), stop: () => bar.stop() };
}
