// Which device listens on which port, as the CLI clients of a test said in their `ready` events:
// a peer's mirror folder is named after its device, and tests know peers by port.
const devices = new Map<number, { id: string; name: string }>()

export function rememberDevice(port: number, id: string, name: string): void {
  devices.set(port, { id, name })
}

export function deviceOnPort(port: number): { id: string; name: string } | undefined {
  return devices.get(port)
}
