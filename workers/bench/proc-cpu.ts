// CPU time of a process tree from /proc (Linux): the postmaster, its reaped children, and live backends.
import * as fs from "fs";
import { execFileSync } from "child_process";

const TICKS_PER_SEC = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

function statFields(pid: number | string): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name (which may contain spaces).
    return raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Milliseconds of user + system CPU used by pid, its reaped children and its live children. */
export function treeCpuMs(pid: number): number {
  const own = statFields(pid);
  if (!own) return 0;
  // After ")": [0]=state [1]=ppid ... [11]=utime [12]=stime [13]=cutime [14]=cstime
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(entry);
    if (f && Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks / TICKS_PER_SEC) * 1000;
}
