// What Settings shows for an invite, against this device's membership (`server.json`, written and
// read back for real): pending until it joins, then used (when) or not needed, expired or not.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { inviteView } from '../../src/main/app/invite-view'
import { readSavedServer, saveServer, type JoinedWith } from '../../src/main/engine/client/saved-server'
import { encodeInvite, inviteTokenHash } from '../../src/main/engine/identity/invite'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

const SERVER = Buffer.alloc(32, 7)
const OTHER = Buffer.alloc(32, 9)
const TOKEN = Buffer.alloc(16, 0xa0)
const NOW = new Date(Date.UTC(2027, 0, 10))
const JOINED_AT = '2027-01-09T12:00:00.000Z'
const invite = (expires: Date, token = TOKEN) =>
  encodeInvite({ addresses: [{ host: '192.168.1.20', port: 4000 }], serverId: SERVER, token, expires: Math.floor(expires.getTime() / 1000) })
const VALID = invite(new Date(Date.UTC(2027, 0, 11)))
const EXPIRED = invite(new Date(Date.UTC(2027, 0, 9, 18)))
const used: JoinedWith = { tokenHash: inviteTokenHash(TOKEN), at: JOINED_AT }

async function membership(server: { id: Buffer; joinedWith?: JoinedWith } | null) {
  const dir = tempDir('invite-view-')
  if (server) await saveServer(dir, { ...server, addresses: [{ host: '192.168.1.20', port: 4000 }] })
  return readSavedServer(dir)
}

describe('inviteView', () => {
  it.each([
    ['valid, no membership: pending', VALID, null, { ok: true, member: false, usedAt: null }],
    ['valid, a member of another server: pending', VALID, { id: OTHER, joinedWith: used }, { ok: true, member: false, usedAt: null }],
    ['valid, a member of its server, joined otherwise: not needed', VALID, { id: SERVER }, { ok: true, member: true, usedAt: null }],
    ['valid, joined with it: used, when', VALID, { id: SERVER, joinedWith: used }, { ok: true, member: true, usedAt: Date.parse(JOINED_AT) }],
    ['another invite of its server: not needed', invite(new Date(Date.UTC(2027, 0, 11)), Buffer.alloc(16, 1)), { id: SERVER, joinedWith: used }, { ok: true, member: true, usedAt: null }],
    ['expired, joined with it: still used, not an error', EXPIRED, { id: SERVER, joinedWith: used }, { ok: true, member: true, usedAt: Date.parse(JOINED_AT) }],
    ['expired, no membership: expired', EXPIRED, null, { ok: false, problem: 'expired' }],
    ['expired, a member of another server: expired', EXPIRED, { id: OTHER }, { ok: false, problem: 'expired' }],
  ] as const)('%s', async (_what, text, server, expected) => {
    expect(inviteView(text, NOW, await membership(server))).toMatchObject(expected)
  })

  it('a membership whose joinedWith does not read still pins its server; the invite is then not needed', async () => {
    const dir = tempDir('invite-view-')
    await saveServer(dir, { id: SERVER, addresses: [{ host: '192.168.1.20', port: 4000 }] })
    const file = path.join(dir, 'server.json')
    const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    writeFileSync(file, JSON.stringify({ ...data, joinedWith: { tokenHash: 'nope', at: JOINED_AT } }))
    const saved = readSavedServer(dir)
    expect(saved?.joinedWith).toBeUndefined()
    expect(inviteView(VALID, NOW, saved)).toMatchObject({ ok: true, member: true, usedAt: null })
  })
})
