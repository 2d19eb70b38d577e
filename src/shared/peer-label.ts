// How a peer is named to the user: by its device name with its address beside it, or by the
// address while the name is not known. One rule for the app's screens, the terminal and the engine's lines.

export function peerLabel(name: string | undefined, address: string): string {
  return name ? `${name} (${address})` : address
}
