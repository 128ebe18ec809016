/**
 * A TCP proxy that a test can cut and restore, to play a network partition between a
 * replica and its database: `cut()` closes every open connection and refuses new ones;
 * `restore()` lets connections through again, on the same port.
 */
import { createServer, connect, type Socket } from 'node:net'
import { once } from 'node:events'

export interface TcpProxy {
  /** The port it listens on, on 127.0.0.1. */
  port: number
  cut: () => void
  restore: () => void
  close: () => Promise<void>
}

export async function startTcpProxy (target: { host: string, port: number }): Promise<TcpProxy> {
  let open = true
  const sockets = new Set<Socket>()
  const track = (socket: Socket): void => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server = createServer(client => {
    track(client)
    if (!open) {
      client.destroy()
      return
    }
    const upstream = connect(target.port, target.host)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP port')
  return {
    port: address.port,
    cut: () => {
      open = false
      for (const socket of sockets) socket.destroy()
    },
    restore: () => { open = true },
    close: async () => {
      open = false
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/** `url` with its host and port replaced by the proxy's. */
export function throughProxy (url: string, proxy: TcpProxy): string {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  parsed.port = String(proxy.port)
  return parsed.toString()
}
