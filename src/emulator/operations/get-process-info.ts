import { jsonResponse } from "../server/emulator-request.js";
import type { Operation } from "../server/operation.js";

/** The emulator process's resource use, as `GET /_quarry/process` serves it. */
export interface ProcessInfo {
  readonly pid: number;
  /** Resident set size now, in bytes. */
  readonly rssBytes: number;
  /** The largest resident set size the process has had, in bytes (`getrusage` maxrss). */
  readonly peakRssBytes: number;
  readonly heapUsedBytes: number;
  /** CPU time spent so far, in microseconds. */
  readonly cpuUserMicros: number;
  readonly cpuSystemMicros: number;
  readonly uptimeSeconds: number;
}

/** Reads the current process's resource use. */
export function readProcessInfo(): ProcessInfo {
  const memory = process.memoryUsage();
  const usage = process.resourceUsage();
  return {
    pid: process.pid,
    rssBytes: memory.rss,
    // resourceUsage reports maxRSS in kilobytes.
    peakRssBytes: usage.maxRSS * 1024,
    heapUsedBytes: memory.heapUsed,
    cpuUserMicros: usage.userCPUTime,
    cpuSystemMicros: usage.systemCPUTime,
    uptimeSeconds: process.uptime(),
  };
}

/**
 * `GET /_quarry/process`: memory and CPU of the process serving the emulator, so a benchmark
 * that runs the emulator in a child process can read its peak memory without sharing its core.
 */
export const getProcessInfo: Operation = {
  name: "QuarryGetProcessInfo",
  method: "GET",
  path: "/_quarry/process",
  handle: () => jsonResponse(200, readProcessInfo()),
};
