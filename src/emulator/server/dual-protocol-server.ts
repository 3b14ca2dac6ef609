import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** A request as both protocol stacks deliver it (Node's HTTP/2 compatibility API mirrors http). */
export type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;
/** A response as both protocol stacks deliver it. */
export type AnyResponse = http.ServerResponse | http2.Http2ServerResponse;
export type RequestHandler = (request: AnyRequest, response: AnyResponse) => void;

// The HTTP/2 connection preface. Three bytes tell it from every HTTP/1.1 method ("PRI" vs
// "POST"/"PUT"/"PATCH"); we wait for them, then hand the socket to the matching server.
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const SNIFF_BYTES = 3;
const HTTP2_IDLE_MS = 60_000;

/**
 * One cleartext port that speaks HTTP/1.1 and HTTP/2 with prior knowledge (h2c).
 *
 * Node has no built-in for this: `http2.createServer({ allowHTTP1 })` negotiates HTTP/1.1 only
 * through TLS ALPN. The AWS SDK for JavaScript talks h2c by default while boto3, curl and fetch
 * talk HTTP/1.1, so an emulator must take both on the same port.
 */
export interface DualProtocolServer {
  readonly server: net.Server;
  /** Destroys every open connection (keep-alive sockets and HTTP/2 sessions included). */
  destroyConnections(): void;
}

export function createDualProtocolServer(handler: RequestHandler): DualProtocolServer {
  const http1 = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handler);
  const http2Server = http2.createServer(
    { settings: { maxConcurrentStreams: 1000 }, maxSessionMemory: 64 },
    handler,
  );
  // Errors on individual sessions or sockets must never take the process down.
  http2Server.on("sessionError", () => {});
  // A session that goes quiet is closed: clients that keep sessions open idle forever, and a
  // session Node answered with GOAWAY after a protocol error, would otherwise hold their socket.
  http2Server.on("session", (session) => {
    session.setTimeout(HTTP2_IDLE_MS, () => session.destroy());
  });
  http1.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffered = Buffer.alloc(0);
    const onReadable = () => {
      let chunk: Buffer | null;
      // biome-ignore lint/suspicious/noAssignInExpressions: read loop idiom
      while ((chunk = socket.read() as Buffer | null) !== null)
        buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < SNIFF_BYTES) return;
      socket.removeListener("readable", onReadable);
      socket.removeListener("end", onEnd);
      socket.unshift(buffered);
      const isHttp2 = buffered.subarray(0, SNIFF_BYTES).equals(PREFACE.subarray(0, SNIFF_BYTES));
      (isHttp2 ? http2Server : http1).emit("connection", socket);
    };
    const onEnd = () => socket.destroy();
    socket.on("readable", onReadable);
    socket.on("end", onEnd);
  });
  server.on("close", () => {
    http1.close();
    http2Server.close();
  });
  return {
    server,
    destroyConnections() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}
