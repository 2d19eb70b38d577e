// The app's Listen address, judged as the CLI's --host is: empty (every interface) or one IP
// address, IPv4 or IPv6. No I/O here: whether the address is this machine's is found on start.

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** IPv6 as the URL parser reads it between brackets; a zone (`%eth0`) is refused there too. */
function isIpv6(value: string): boolean {
  if (!value.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(value)) return false
  try {
    return new URL(`http://[${value}]/`).hostname.length > 2
  } catch {
    return false
  }
}

/** Why `value` cannot be listened on, or null when it can (empty means every interface). */
export function listenAddressProblem(value: string): string | null {
  const address = value.trim()
  if (!address || IPV4.test(address) || isIpv6(address)) return null
  if (/^\[.*\](:\d*)?$/.test(address) || /^[^:]+:\d*$/.test(address)) return 'Give only the address here, without a port or brackets, e.g. 192.168.1.20.'
  return 'Enter an IP address of this machine (e.g. 192.168.1.20, 127.0.0.1 or ::1), or leave it empty for every interface.'
}
