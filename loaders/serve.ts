/**
 * Static server for the built site (dist/), the way a static host serves it: clean URLs
 * (`/sise` → `sise.html`), `index.html` for folders, the right MIME types (wasm streaming needs
 * `application/wasm`), byte ranges, and 404.html for unknown paths. Bound to 127.0.0.1.
 *   tsx loaders/serve.ts [--port 3000] [--host 127.0.0.1] [--root dist]
 * Also used by the e2e tests (startStaticServer).
 */
import {createReadStream, existsSync, statSync} from "node:fs";
import {createServer, type IncomingMessage, type Server, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {extname, join, normalize, resolve, sep} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".bin": "application/octet-stream",
  ".woff2": "font/woff2"
};

export interface StaticServerOptions {
  root: string;
  port?: number;
  host?: string;
  /** Extra response headers (tests use this for CORS). */
  headers?: Record<string, string>;
  /** Logs one line per request when set. */
  log?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The file a URL path maps to, or null; never leaves the root. */
function resolveStaticPath(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split("?")[0]!.split("#")[0]!);
  } catch {
    return null;
  }
  if (path.includes("\0")) return null;
  const base = resolve(root);
  const target = normalize(join(base, path));
  if (target !== base && !target.startsWith(base + sep)) return null;
  const candidates = path.endsWith("/") ? [join(target, "index.html")] : [target, `${target}.html`, join(target, "index.html")];
  for (const candidate of candidates) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

function send(request: IncomingMessage, response: ServerResponse, file: string, status: number, headers: Record<string, string>): void {
  const size = statSync(file).size;
  const type = MIME[extname(file).toLowerCase()] ?? "application/octet-stream";
  const common = {...headers, "Content-Type": type, "Accept-Ranges": "bytes", "Cache-Control": "no-cache"};
  const range = status === 200 ? /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? "") : null;
  if (range && (range[1] || range[2])) {
    const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end || start >= size) {
      response.writeHead(416, {...common, "Content-Range": `bytes */${size}`}).end();
      return;
    }
    response.writeHead(206, {...common, "Content-Range": `bytes ${start}-${end}/${size}`, "Content-Length": String(end - start + 1)});
    if (request.method === "HEAD") response.end();
    else createReadStream(file, {start, end}).pipe(response);
    return;
  }
  response.writeHead(status, {...common, "Content-Length": String(size)});
  if (request.method === "HEAD") response.end();
  else createReadStream(file).pipe(response);
}

export function startStaticServer(options: StaticServerOptions): Promise<RunningServer> {
  const root = resolve(options.root);
  if (!existsSync(root)) throw new Error(`nothing to serve: ${root} does not exist (run npm run build first)`);
  const headers = options.headers ?? {};
  const server = createServer((request, response) => {
    if (request.method === "OPTIONS") {
      response.writeHead(204, headers).end();
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, {...headers, Allow: "GET, HEAD, OPTIONS"}).end();
      return;
    }
    const file = resolveStaticPath(root, request.url ?? "/");
    options.log?.(`${request.method} ${request.url} ${file ? 200 : 404}`);
    if (file) return send(request, response, file, 200, headers);
    const notFound = join(root, "404.html");
    if (existsSync(notFound)) return send(request, response, notFound, 404, headers);
    response.writeHead(404, {...headers, "Content-Type": "text/plain; charset=utf-8"}).end("not found\n");
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      const {port, address} = server.address() as AddressInfo;
      resolvePromise({
        server,
        url: `http://${address}:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done()))
      });
    });
  });
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const {values} = parseArgs({
    options: {
      port: {type: "string", default: process.env.PORT ?? "3000"},
      host: {type: "string", default: "127.0.0.1"},
      root: {type: "string", default: "dist"}
    },
    strict: true
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0..65535, got ${values.port}`);
  const running = await startStaticServer({root: values.root!, port, host: values.host!});
  console.log(`serving ${resolve(values.root!)} at ${running.url}/ (Ctrl-C stops)`);
}
