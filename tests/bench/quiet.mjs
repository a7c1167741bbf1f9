// Waiting for the browser to go quiet before a timed figure, so it does not pay for what the
// figure before it left behind: IndexedDB compacts a deleted or cleared database on its own
// threads for seconds afterwards (measured with a per-thread sampler of /proc: ≈4.7 CPU-seconds
// in the 15 s after the 100,000-record baseline database was deleted, against ≈0.5 s otherwise).

import { readdir, readFile } from 'node:fs/promises';

/** CPU ticks (1/100 s) the browser may use in one half-second look and count as quiet. */
const QUIET_TICKS = 8;
/** Looks in a row that must be quiet. */
const QUIET_LOOKS = 2;
/** Longest wait; past it the figure is taken anyway (and the wait says so). */
const LONGEST_WAIT_MS = 60_000;

/** CPU ticks used so far by every Chromium process (Linux /proc; 0 elsewhere). */
async function chromiumTicks() {
  let ticks = 0;
  let entries = [];
  try { entries = await readdir('/proc'); } catch { return 0; }
  for (const pid of entries.filter((e) => /^\d+$/.test(e))) {
    try {
      const command = await readFile(`/proc/${pid}/cmdline`, 'latin1');
      if (!/chrom/.test(command.split('\0')[0])) continue;
      const fields = (await readFile(`/proc/${pid}/stat`, 'latin1')).split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    } catch { /* the process ended meanwhile */ }
  }
  return ticks;
}

/**
 * Waits until Chromium's processes together use under QUIET_TICKS of CPU in each of
 * QUIET_LOOKS half-seconds in a row; the ms waited, or -1 when it gave up.
 */
export async function waitForQuiet() {
  const started = Date.now();
  let quiet = 0;
  let before = await chromiumTicks();
  while (quiet < QUIET_LOOKS) {
    if (Date.now() - started > LONGEST_WAIT_MS) return -1;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await chromiumTicks();
    quiet = now - before <= QUIET_TICKS ? quiet + 1 : 0;
    before = now;
  }
  return Date.now() - started;
}
