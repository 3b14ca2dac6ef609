import {
  type AgentOptions,
  type ClientRequestArgs,
  Agent as HttpAgent,
  request as httpRequest,
} from "node:http";
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { QuarryError } from "../errors/quarry-error.js";

/**
 * The standard proxy variables, as curl and most tools read them: `HTTPS_PROXY` for https
 * targets, `HTTP_PROXY` for http ones (lower-case names win), and `NO_PROXY` for hosts that go
 * direct. Only `http://` proxies are supported: the tunnel is an HTTP `CONNECT`.
 */
export interface ProxySettings {
  /** Proxy for `https://` endpoints, e.g. `http://proxy.internal:3128`. */
  readonly httpsProxy?: string;
  /** Proxy for `http://` endpoints. */
  readonly httpProxy?: string;
  /** Comma-separated hosts, domain suffixes (`.example.com`), `host:port`, or `*`. */
  readonly noProxy?: string;
}

/** Reads `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (either case) from an environment. */
export function proxySettingsFromEnvironment(
  environment: NodeJS.ProcessEnv = process.env,
): ProxySettings {
  const read = (name: string) => environment[name.toLowerCase()] || environment[name] || undefined;
  const settings: { httpsProxy?: string; httpProxy?: string; noProxy?: string } = {};
  const httpsProxy = read("HTTPS_PROXY");
  const httpProxy = read("HTTP_PROXY");
  const noProxy = read("NO_PROXY");
  if (httpsProxy) settings.httpsProxy = httpsProxy;
  if (httpProxy) settings.httpProxy = httpProxy;
  if (noProxy) settings.noProxy = noProxy;
  return settings;
}

/** The proxy URL a request to `target` should go through, or undefined to go direct. */
export function proxyFor(target: URL, settings: ProxySettings): URL | undefined {
  const proxy = target.protocol === "https:" ? settings.httpsProxy : settings.httpProxy;
  if (!proxy) return undefined;
  if (bypassesProxy(target, settings.noProxy)) return undefined;
  return parseProxyUrl(proxy);
}

/** Whether `NO_PROXY` sends `target` direct. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    const { name, entryPort } = splitEntry(entry);
    if (entryPort && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, "");
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

function splitEntry(entry: string): { name: string; entryPort: string | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1]!, entryPort: bracketed[2] };
  const colons = entry.split(":").length - 1;
  if (colons === 1) {
    const [name, entryPort] = entry.split(":") as [string, string];
    return { name, entryPort };
  }
  return { name: entry, entryPort: undefined };
}

/** Parses a proxy URL, accepting `host:port` without a scheme as curl does. */
export function parseProxyUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new QuarryError(
      "options.proxy",
      `The proxy must be a URL such as http://proxy.internal:3128; got ${redactProxy(value)}.`,
    );
  }
  if (url.protocol !== "http:") {
    throw new QuarryError(
      "options.proxy",
      `Only http:// proxies are supported (the tunnel is an HTTP CONNECT); got ${url.protocol}// in ${redactProxy(value)}.`,
    );
  }
  return url;
}

/** A proxy URL fit for a message: any user name and password are replaced. */
export function redactProxy(value: string): string {
  return value.replace(/\/\/[^/@]*@/, "//***@");
}

interface TunnelTarget {
  readonly proxy: URL;
  readonly secure: boolean;
}

type ConnectionCallback = (error: Error | null, socket: Duplex) => void;

/**
 * Opens a `CONNECT` tunnel through the proxy, then (for https) TLS over it, so that keep-alive,
 * socket pooling and SigV4 work exactly as on a direct connection.
 */
function openTunnel(
  target: TunnelTarget,
  requestOptions: ClientRequestArgs,
  callback: ConnectionCallback,
): void {
  const options = requestOptions as Record<string, unknown>;
  const host = String(options.host ?? options.hostname ?? "localhost");
  const port = Number(options.port ?? (target.secure ? 443 : 80));
  const authority = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (target.proxy.username || target.proxy.password) {
    const credentials = `${decodeURIComponent(target.proxy.username)}:${decodeURIComponent(target.proxy.password)}`;
    headers["proxy-authorization"] = `Basic ${Buffer.from(credentials).toString("base64")}`;
  }
  const connectRequest = httpRequest({
    host: target.proxy.hostname.replace(/^\[|\]$/g, ""),
    port: Number(target.proxy.port || 80),
    method: "CONNECT",
    path: authority,
    headers,
    agent: false,
  });
  let settled = false;
  const settle = (error: Error | null, socket?: Socket) => {
    if (settled) return;
    settled = true;
    callback(error, socket as Duplex);
  };
  connectRequest.once("connect", (response, socket) => {
    if (response.statusCode !== 200) {
      socket.destroy();
      settle(
        new QuarryError(
          "proxy.connect",
          `The proxy ${target.proxy.host} refused to open a tunnel to ${authority}: HTTP ${response.statusCode}.`,
          {
            ...(response.statusCode === undefined ? {} : { status: response.statusCode }),
            isRetryable: (response.statusCode ?? 0) >= 500,
            hint: "Check HTTPS_PROXY/NO_PROXY, or the proxy's allow-list for this host.",
          },
        ),
      );
      return;
    }
    if (!target.secure) {
      settle(null, socket);
      return;
    }
    const secure = tlsConnect({
      ...(options as object),
      socket,
      servername: (options.servername as string | undefined) ?? host,
    });
    settle(null, secure as unknown as Socket);
  });
  connectRequest.once("error", (error) => settle(error));
  connectRequest.end();
}

/** An http agent whose every connection is a `CONNECT` tunnel through `proxy`. */
export class ProxyHttpAgent extends HttpAgent {
  readonly #proxy: URL;
  constructor(proxy: URL, options: AgentOptions = {}) {
    super(options);
    this.#proxy = proxy;
  }
  // Node calls this with a callback when creating a pooled socket; returning undefined tells it
  // the socket arrives asynchronously.
  override createConnection(options: ClientRequestArgs, callback?: ConnectionCallback): undefined {
    openTunnel({ proxy: this.#proxy, secure: false }, options, callback!);
    return undefined;
  }
}

/** An https agent whose every connection is TLS over a `CONNECT` tunnel through `proxy`. */
export class ProxyHttpsAgent extends HttpsAgent {
  readonly #proxy: URL;
  constructor(proxy: URL, options: HttpsAgentOptions = {}) {
    super(options);
    this.#proxy = proxy;
  }
  override createConnection(options: ClientRequestArgs, callback?: ConnectionCallback): undefined {
    openTunnel({ proxy: this.#proxy, secure: true }, options, callback!);
    return undefined;
  }
}
