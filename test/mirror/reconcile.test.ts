// The decision for one path, as a table: the peer's entry, the manifest's, the path's record in;
// what the mirror does out. No disk, no network.
import { describe, expect, it } from 'vitest'
import { decide, type Decision, type PathFacts } from '../../src/main/engine/mirror/reconcile'

const entry = (version: string, size = 10): { path: string; version: string; size: number } => ({ path: 'a/b.txt', version, size })
const facts = (over: Partial<PathFacts>): PathFacts => ({ live: true, want: undefined, have: undefined, record: {}, probeDisk: false, ...over })
const fetch = (want: ReturnType<typeof entry>, have: string | null, probe = false): Decision => ({
  do: 'fetch',
  want,
  have,
  recycled: want.size > 0,
  reuse: want.size > 0,
  probe,
  release: true,
})

describe('decide', () => {
  it.each<{ name: string; facts: PathFacts; decision: Decision }>([
    { name: 'new: the peer lists it, the mirror holds none', facts: facts({ want: entry('v1') }), decision: fetch(entry('v1'), null) },
    { name: 'changed: the peer lists a new version', facts: facts({ want: entry('v2'), have: 'v1' }), decision: fetch(entry('v2'), 'v1') },
    { name: 'unchanged: the mirror holds what the peer lists', facts: facts({ want: entry('v1'), have: 'v1' }), decision: { do: 'nothing', why: 'up-to-date', release: true } },
    { name: 'deleted: the peer no longer lists what the mirror holds', facts: facts({ have: 'v1' }), decision: { do: 'remove', release: false } },
    { name: 'deleted while its job runs: the job comes first', facts: facts({ have: 'v1', record: { pending: 'v2' } }), decision: { do: 'wait', release: false } },
    { name: 'neither lists it', facts: facts({}), decision: { do: 'nothing', why: 'not-listed', release: false } },
    { name: 'pending: a job brings it already', facts: facts({ want: entry('v2'), have: 'v1', record: { pending: 'v2' } }), decision: { do: 'wait', release: true } },
    { name: 'pending an older version: its result decides', facts: facts({ want: entry('v3'), record: { pending: 'v2' } }), decision: { do: 'wait', release: true } },
    { name: 'refused: this version came wrong', facts: facts({ want: entry('v2'), have: 'v1', record: { refused: 'v2' } }), decision: { do: 'nothing', why: 'refused', release: true } },
    { name: 'refused an older version: the new one is fetched', facts: facts({ want: entry('v3'), have: 'v1', record: { refused: 'v2' } }), decision: fetch(entry('v3'), 'v1') },
    { name: 'peer away: nothing, whatever differs', facts: facts({ live: false, want: entry('v2'), have: 'v1' }), decision: { do: 'nothing', why: 'away', release: false } },
    { name: 'peer away: nothing is removed either', facts: facts({ live: false, have: 'v1' }), decision: { do: 'nothing', why: 'away', release: false } },
    { name: 'unknown folder content: a new file is checked where it stands first', facts: facts({ want: entry('v1'), probeDisk: true }), decision: fetch(entry('v1'), null, true) },
    { name: 'unknown folder content: a file the manifest knows is not probed', facts: facts({ want: entry('v2'), have: 'v1', probeDisk: true }), decision: fetch(entry('v2'), 'v1', false) },
    { name: 'outrun: the peer answered this announced version with newer content', facts: facts({ want: entry('v2'), have: 'v3', record: { outrun: 'v2' } }), decision: { do: 'nothing', why: 'outrun', release: true } },
    { name: 'outrun an older announcement: the new one is fetched', facts: facts({ want: entry('v4'), have: 'v3', record: { outrun: 'v2' } }), decision: fetch(entry('v4'), 'v3') },
    { name: 'outrun, and the peer now announces what the mirror holds', facts: facts({ want: entry('v3'), have: 'v3', record: { outrun: 'v2' } }), decision: { do: 'nothing', why: 'up-to-date', release: true } },
    { name: 'inside a file the peer also lists: not mirrored', facts: facts({ want: entry('v1'), insideFile: 'a' }), decision: { do: 'nothing', why: 'inside-file', release: true } },
    { name: 'inside a listed file, but held already: left as it is', facts: facts({ want: entry('v1'), have: 'v1', insideFile: 'a' }), decision: { do: 'nothing', why: 'up-to-date', release: true } },
    { name: 'one file on this disk with another spelling mirrored instead: not mirrored', facts: facts({ want: entry('v1'), sameNameAs: 'README.md' }), decision: { do: 'nothing', why: 'name-clash', release: true } },
    { name: 'a name this disk refuses: not mirrored', facts: facts({ want: entry('v1'), nameRefused: 'this disk refuses ? in a name' }), decision: { do: 'nothing', why: 'name-refused', release: true } },
    { name: 'a name this disk refuses, and deleted: nothing held to remove', facts: facts({ nameRefused: 'this disk refuses ? in a name' }), decision: { do: 'nothing', why: 'not-listed', release: false } },
    { name: 'a clashing spelling with a job under way: its result decides', facts: facts({ want: entry('v2'), record: { pending: 'v2' }, sameNameAs: 'README.md' }), decision: { do: 'wait', release: true } },
    { name: 'empty file: written, never copied nor probed', facts: facts({ want: entry('e', 0), probeDisk: true }), decision: fetch(entry('e', 0), null, false) },
  ])('$name', ({ facts: input, decision }) => {
    expect(decide(input)).toEqual(decision)
  })

  it('releases a held deletion whenever the live peer lists the path, and only then', () => {
    const listed = [facts({ want: entry('v1') }), facts({ want: entry('v1'), have: 'v1' }), facts({ want: entry('v1'), record: { refused: 'v1' } })]
    for (const each of listed) expect(decide(each).release).toBe(true)
    for (const each of [facts({ have: 'v1' }), facts({ live: false, want: entry('v1') })]) expect(decide(each).release).toBe(false)
  })
})
