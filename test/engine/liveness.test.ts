// A connection's liveness (net/liveness.ts): what each beat does, and its timers, real ones, with
// generous deadlines only: a HELLO due, a silent peer given up, and nothing after dispose.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { beatAction, HEARTBEAT_MISSES, Liveness } from '../../src/main/engine/net/liveness'
import { until } from '../helpers/until'

describe('beatAction', () => {
  it.each<[number, number, boolean, ReturnType<typeof beatAction>]>([
    [0, 100, true, 'ping'],
    [0, 100, false, 'wait'],
    [100 * HEARTBEAT_MISSES, 100, true, 'ping'],
    [100 * HEARTBEAT_MISSES, 100, false, 'wait'],
    [100 * HEARTBEAT_MISSES + 1, 100, true, 'give-up'],
    [100 * HEARTBEAT_MISSES + 1, 100, false, 'give-up'],
    [5000, 5000, true, 'ping'],
    [15_001, 5000, false, 'give-up'],
  ])('silent for %d ms, beating every %d ms, pinging %s: %s', (silentFor, interval, pings, action) => {
    expect(beatAction(silentFor, interval, pings)).toBe(action)
  })
})

describe('Liveness', () => {
  const owned: Liveness[] = []
  const liveness = (): Liveness => {
    const made = new Liveness()
    owned.push(made)
    return made
  }
  afterEach(() => {
    for (const made of owned.splice(0)) made.dispose()
  })

  it('says a HELLO is late once its deadline passes', async () => {
    let late = 0
    liveness().expectHello(10, () => late++)
    await until(() => late === 1, 'the HELLO deadline')
  })

  it('forgets the deadline once the HELLO is heard, and on dispose', async () => {
    let late = 0
    const heard = liveness()
    heard.expectHello(20, () => late++)
    heard.helloHeard()
    const disposed = liveness()
    disposed.expectHello(20, () => late++)
    disposed.dispose()
    // A control with the same deadline shows the time passed.
    let control = 0
    liveness().expectHello(20, () => control++)
    await until(() => control === 1, 'the control deadline')
    await sleep(50)
    expect(late).toBe(0)
  })

  it('pings on each beat while the peer is heard, and gives it up after HEARTBEAT_MISSES silent intervals', async () => {
    const live = liveness()
    let pings = 0
    const silences: number[] = []
    live.beat(10, { ping: () => pings++, silent: (ms) => silences.push(ms) })
    // Heard on every ping: never silent for long.
    const keepHearing = setInterval(() => live.heard(), 2)
    await until(() => pings >= 3, 'three pings')
    clearInterval(keepHearing)
    await until(() => silences.length > 0, 'the silence to be noticed')
    expect(silences[0]).toBeGreaterThan(10 * HEARTBEAT_MISSES)
  })

  it('never pings without a ping hook (the acceptor), and beats no more once disposed', async () => {
    const live = liveness()
    const silences: number[] = []
    live.beat(5, { silent: (ms) => silences.push(ms) })
    await until(() => silences.length > 0, 'the silence to be noticed')
    live.dispose()
    const seen = silences.length
    await sleep(50)
    expect(silences.length).toBe(seen)
  })

  it('does not beat at an interval of 0 (the heartbeat off)', async () => {
    const silences: number[] = []
    liveness().beat(0, { ping: () => silences.push(-1), silent: (ms) => silences.push(ms) })
    const control = liveness()
    let controlSilent = 0
    control.beat(5, { silent: () => controlSilent++ })
    await until(() => controlSilent > 0, 'the control to give up')
    expect(silences).toEqual([])
  })
})
