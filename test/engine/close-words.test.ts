import { describe, expect, it } from 'vitest'
import { whyClosed, type CloseInfo } from '../../src/main/engine/net/connection'

// Every close reason reads as words in the lines people see ("the connection to bob ended (…)"):
// a removed peer's transfer said "ended (local)".
describe('whyClosed', () => {
  const cases: Array<[CloseInfo, string]> = [
    [{ reason: 'local' }, 'closed on this side'],
    [{ reason: 'closed' }, 'the other side closed it'],
    [{ reason: 'timeout' }, 'it went silent'],
    [{ reason: 'slow-consumer' }, 'the other side stopped reading'],
    [{ reason: 'protocol-error' }, 'the other side sent something invalid'],
    [{ reason: 'remote-error' }, 'the other side refused it'],
    [{ reason: 'protocol-error', code: 'bad-frame', message: 'FILE_LIST: flags 0x02 set' }, 'FILE_LIST: flags 0x02 set'],
  ]
  it.each(cases)('%o → %s', (info, words) => {
    expect(whyClosed(info)).toBe(words)
  })
})
