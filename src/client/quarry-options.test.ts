import { describe, expect, it } from "vitest";
import { resolveQuarryOptions } from "./quarry-options.js";

describe("resolveQuarryOptions", () => {
  it("fills defaults sized for the concurrency and reads proxies from the environment", () => {
    const resolved = resolveQuarryOptions(
      { region: "eu-west-1", concurrency: 100 },
      { HTTPS_PROXY: "http://proxy:3128", NO_PROXY: "localhost" },
    );
    expect(resolved.maxSockets).toBe(100);
    expect(resolved.protocol).toBe("auto");
    expect(resolved.connectTimeoutMs).toBe(10_000);
    expect(resolved.firstByteTimeoutMs).toBe(600_000);
    expect(resolved.idleTimeoutMs).toBe(60_000);
    expect(resolved.proxy).toEqual({ httpsProxy: "http://proxy:3128", noProxy: "localhost" });
    expect(resolveQuarryOptions({ proxy: false }, { HTTPS_PROXY: "http://p:1" }).proxy).toEqual({});
  });

  it.each([
    [{ region: "US East" }, /Option region must be a Region code such as us-east-1; got "US East"/],
    [{ endpoint: "localhost:4566" }, /Option endpoint must be an http:\/\/ or https:\/\/ URL/],
    [{ concurrency: 0 }, /Option concurrency must be a positive integer; got 0/],
    [
      { http: { protocol: "h3" } },
      /Option http.protocol must be "auto", "http1" or "http2"; got "h3"/,
    ],
    [{ timeouts: { idleMs: -1 } }, /Option timeouts.idleMs must be a number of milliseconds/],
    [
      { concurrency: 10, http: { maxSockets: 5 } },
      /http.maxSockets must be at least concurrency \(10\)/,
    ],
    [{ apiKey: " " }, /Option apiKey must be a non-empty Bedrock API key/],
    [{ proxy: { httpsProxy: "socks5://p:1" } }, /Only http:\/\/ proxies are supported/],
  ])("names the option, the expectation and the value: %j", (options, message) => {
    expect(() => resolveQuarryOptions(options as never, {})).toThrow(message);
  });
});
