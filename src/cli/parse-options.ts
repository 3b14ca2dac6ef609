import { QuarryError } from "../errors/quarry-error.js";

/** A TCP port from a flag value, or a usage error naming the flag. */
export function parsePort(value: unknown, flag = "--port"): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new QuarryError(
      "cli.usage",
      `${flag} expects a port number from 0 to 65535, got ${JSON.stringify(value)}`,
    );
  }
  return port;
}
