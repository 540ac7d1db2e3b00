// Resource figures of another process, read from /proc (Linux).
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // keep the Linux default
}

/** Resident set size in bytes (VmRSS), or NaN when the process is gone. */
export function readRssBytes(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** User + system CPU time consumed so far, in seconds. */
export function readCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return NaN;
  }
}

/** Bytes the process has passed to write(2) so far (includes writes to /dev/null). */
export function readWriteBytes(pid) {
  try {
    const match = /wchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** A sample of a process's counters at one instant, for differences over a window. */
export function sampleProcess(pid) {
  return { atMs: performance.now(), cpuSeconds: readCpuSeconds(pid), rssBytes: readRssBytes(pid), writeBytes: readWriteBytes(pid) };
}

/** CPU use between two samples, as a fraction of one core. */
export function cpuFraction(before, after) {
  return (after.cpuSeconds - before.cpuSeconds) / ((after.atMs - before.atMs) / 1000);
}

export function machineInfo() {
  let cpuModel = 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return { cpuModel };
}
