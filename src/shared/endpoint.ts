// An endpoint is how the product names a node everywhere: `ip:port`, IPv6 in brackets.

export interface Endpoint {
  ip: string
  port: number
}

/** `127.0.0.1:4000` or `[::1]:4000`: one unambiguous key per node. */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}

export function endpointKey(endpoint: Endpoint): string {
  return formatEndpoint(endpoint.ip, endpoint.port)
}

/** `host:port` or `[v6]:port`: a port typed into an address (a bare IPv6 address has two or more colons). */
export const HOST_WITH_PORT = /^(?:[^:[\]]+|\[[^\]]*\]):\d*$/
