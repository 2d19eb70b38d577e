// How a peer is named on screen: by its device name with its address beside it, or by the address
// while the name is not known. One rule for the peer list, the transfers and the activity lines.

export function peerLabel(name: string | undefined, address: string): string {
  return name ? `${name} (${address})` : address
}
