// Gathers incoming items and hands them over once per animation frame, so a burst of thousands of
// events costs one update of the stores and one render. A hidden page gets no frames: a timer
// flushes anyway, so nothing piles up while the window is in the background.
export interface FrameBatcher<T> {
  push(items: readonly T[]): void
  /** Hands over what is queued now. */
  flush(): void
  stop(): void
}

const FALLBACK_MS = 100

export function createFrameBatcher<T>(
  deliver: (items: T[]) => void,
  frame: (callback: () => void) => unknown = (callback) => requestAnimationFrame(callback),
): FrameBatcher<T> {
  let queue: T[] = []
  let scheduled = false
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = false

  const flush = (): void => {
    scheduled = false
    if (timer) clearTimeout(timer)
    timer = null
    if (stopped || queue.length === 0) return
    const items = queue
    queue = []
    deliver(items)
  }

  return {
    push(items) {
      if (stopped || items.length === 0) return
      for (const item of items) queue.push(item)
      if (scheduled) return
      scheduled = true
      frame(flush)
      timer = setTimeout(flush, FALLBACK_MS)
    },
    flush,
    stop() {
      stopped = true
      queue = []
      if (timer) clearTimeout(timer)
    },
  }
}
