// What the user paused and which mass deletes wait for a confirmation, folded from the event
// stream. Pure: main keeps one for the snapshot a new window (and the tray) starts from, and the
// window keeps its own, fed by the same events. A new state is returned on a change, the same
// one otherwise.
import type { AppEvent, ControlView, HeldDeleteView, PausedPeerView } from '../contract'
import { formatEndpoint } from '../endpoint'

export function createControlView(): ControlView {
  return { paused: false, pausedPeers: [], held: [] }
}

/** A device by its ID; an older engine's event names the peer by address only. */
function sameDevice(a: { id?: string; peer?: string }, b: { id?: string; peer?: string }): boolean {
  return a.id !== undefined || b.id !== undefined ? a.id === b.id : a.peer === b.peer
}

function device(event: { id?: string; name?: string; peer?: string }): PausedPeerView {
  return { ...(event.id === undefined ? {} : { id: event.id }), ...(event.name ? { name: event.name } : {}), ...(event.peer === undefined ? {} : { peer: event.peer }) }
}

export function applyControlEvent(view: ControlView, event: AppEvent): ControlView {
  switch (event.type) {
    case 'status':
      // A (re)starting client says again what is paused; a hold lives only as long as its client.
      return event.status.state === 'starting' && (view.paused || view.pausedPeers.length || view.held.length) ? createControlView() : view
    case 'paused':
    case 'resumed': {
      const pausing = event.type === 'paused'
      if (event.id === undefined && event.peer === undefined) return view.paused === pausing ? view : { ...view, paused: pausing }
      const others = view.pausedPeers.filter((p) => !sameDevice(p, event))
      return { ...view, pausedPeers: pausing ? [...others, device(event)] : others }
    }
    case 'peer-joined': {
      // A paused device, or one with deletions held, that comes back from another address.
      const peer = formatEndpoint(event.ip, event.port)
      const moved = (p: { id?: string; peer?: string }): boolean => p.id !== undefined && p.id === event.id && p.peer !== peer
      if (!view.pausedPeers.some(moved) && !view.held.some(moved)) return view
      return {
        ...view,
        pausedPeers: view.pausedPeers.map((p) => (moved(p) ? { ...p, peer, name: event.name } : p)),
        held: view.held.map((h) => (moved(h) ? { ...h, peer, name: event.name } : h)),
      }
    }
    case 'mass-delete': {
      const held: HeldDeleteView = { ...device(event), peer: event.peer, files: event.files, held: event.held ?? event.files, total: event.total }
      return { ...view, held: [...view.held.filter((h) => !sameDevice(h, event)), held] }
    }
    case 'mass-delete-cleared': {
      const held = view.held.filter((h) => !sameDevice(h, event))
      return held.length === view.held.length ? view : { ...view, held }
    }
    default:
      return view
  }
}

/** Whether the peer at `key` (`ip:port`) is paused, by itself or with the whole client. */
export function isPeerPaused(view: ControlView, key: string): boolean {
  return view.paused || view.pausedPeers.some((p) => p.peer === key)
}

/** The deletions held for the peer at `key`, if any. */
export function heldFor(view: ControlView, key: string): HeldDeleteView | undefined {
  return view.held.find((h) => h.peer === key)
}
