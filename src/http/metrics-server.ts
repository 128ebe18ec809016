/**
 * `GET /metrics` on a port of its own (`GATEHOUSE_METRICS_PORT`), never on the API's:
 * what it shows (module names of every tenant's policy, traffic of all tenants together)
 * is for the operator, not for any tenant key, and a port is what Prometheus and network
 * policies expect to be scraped and fenced. Off unless configured; bound to loopback
 * unless told otherwise; with `GATEHOUSE_METRICS_TOKEN`, only `Authorization: Bearer
 * <token>` is answered. The caller closes it (a started app takes no more hooks).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'

export interface MetricsServerOptions {
  port: number
  host: string
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string | undefined
}

export interface MetricsServer {
  /** The URL it answers on, with the port really bound (port 0 asks the system for one). */
  readonly url: string
  close: () => Promise<void>
}

/** Starts the metrics listener of an app built with `metrics: true`. */
export async function listenMetrics (app: FastifyInstance, opts: MetricsServerOptions): Promise<MetricsServer> {
  const metrics = app.metrics
  if (metrics === undefined) throw new Error('the app was built without metrics (`config.metrics`)')
  const expected = opts.token === undefined ? undefined : digest(`Bearer ${opts.token}`)

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics') return answer(res, 404, { code: 'not_found', message: `no route \`${req.method ?? ''} ${path ?? ''}\`: metrics are at /metrics` })
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return answer(res, 405, { code: 'method_not_allowed', message: 'metrics are read with GET' })
    }
    // Compared as digests, so that neither the length nor the content of the token leaks through timing.
    if (expected !== undefined && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      res.setHeader('www-authenticate', 'Bearer realm="gatehouse-metrics"')
      return answer(res, 401, { code: 'unauthorized', message: 'metrics need `Authorization: Bearer <GATEHOUSE_METRICS_TOKEN>`' })
    }
    metrics.scrape().then(({ contentType, body }) => {
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
      res.end(req.method === 'HEAD' ? undefined : body)
    }, (err: unknown) => {
      app.logger.error({ err }, 'metrics scrape failed')
      answer(res, 500, { code: 'internal', message: 'the metrics could not be read (see the log)' })
    })
  })
  // Nothing a scrape sends is worth holding a connection for.
  server.requestTimeout = 10_000
  server.headersTimeout = 10_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const close = async (): Promise<void> => {
    if (!server.listening) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
  return { url: `http://${urlHost(server.address() as AddressInfo)}/metrics`, close }
}

function answer (res: ServerResponse, status: number, body: { code: string, message: string }): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** `host:port` of a bound address, IPv6 in brackets. */
export function urlHost (address: AddressInfo): string {
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`
}
