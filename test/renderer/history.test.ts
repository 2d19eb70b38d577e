// @vitest-environment happy-dom
// The History screen and the ignore editor as a person meets them: a mirror's kept versions, newest
// first with Show older, a restore into a folder picked natively or browsed on the engine's machine,
// History being off; the patterns, a skipped line named before anything is sent, Save patterns.
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import IgnoreEditor from '../../src/renderer/src/components/IgnoreEditor.vue'
import { formatWhen } from '../../src/renderer/src/format'
import { HISTORY_PAGE_SIZE, HISTORY_REFRESH_MS, useHistoryStore } from '../../src/renderer/src/stores/history'
import { useFoldersStore } from '../../src/renderer/src/stores/folders'
import { usePeersStore } from '../../src/renderer/src/stores/peers'
import { useSettingsStore } from '../../src/renderer/src/stores/settings'
import HistoryView from '../../src/renderer/src/views/HistoryView.vue'
import { localDate } from '../../src/shared/restored-name'
import type { AppEvent, HistoryEntryView } from '../../src/shared/contract'
import type { TestApi } from '../helpers/window-api'
import { buttonNamed, byLabel, freshWindow, mountView } from '../helpers/window-view'

let api: TestApi
beforeEach(() => {
  api = freshWindow()
})

const button = (root: VueWrapper, name: string) => buttonNamed(root, name).element as HTMLButtonElement

const AT = Date.UTC(2026, 11, 6, 12)
/** `n` versions, newest first, one minute apart. */
const versions = (n: number): HistoryEntryView[] =>
  Array.from({ length: n }, (_, i) => ({ id: `v${String(n - i).padStart(4, '0')}`, path: `docs/file ${n - i}.txt`, peer: '127.0.0.1:4001', at: AT - i * 60_000, size: 1000 + i, reason: 'deleted' as const }))

const ALICE_ID = 'ABCDEFG-ABCDEFG-ABCDEFG-ABCDEFG-ABCDEFG-ABCDEFG-ABCDEFG-ABCDEFG'
const BOB_ID = 'HIJKLMN-HIJKLMN-HIJKLMN-HIJKLMN-HIJKLMN-HIJKLMN-HIJKLMN-HIJKLMN'

function withHistory(entries: HistoryEntryView[], keepDays = 30): void {
  api.historyMirrors = {
    ok: true,
    mirrorRoot: '/home/you/Shared-mirrors',
    keepDays,
    mirrors: [
      { folder: 'alice-ABCDEFG', peer: null, versions: 0, bytes: 0, newest: null, device: { id: ALICE_ID, name: 'alice laptop' } },
      { folder: 'bob-HIJKLMN', peer: '127.0.0.1:4001', versions: entries.length, bytes: 5000, newest: entries[0]?.at ?? null, device: { id: BOB_ID, name: 'bob' } },
    ],
  }
  api.history.set('bob-HIJKLMN', entries)
}

const rowPaths = (view: VueWrapper) => view.findAll('tbody th .mono').map((path) => path.text())

describe('History', () => {
  it('opens on the mirror that keeps something, newest first, a page at a time', async () => {
    withHistory(versions(HISTORY_PAGE_SIZE + 5))
    // bob is here, renamed since its folder was named; alice is away.
    usePeersStore().apply([{ type: 'peer-joined', ip: '127.0.0.1', port: 4001, id: BOB_ID, name: 'bob desktop', at: 0, seq: 1 } as AppEvent])
    const view = mountView(HistoryView)
    await flushPromises()
    expect((view.find('select').element as HTMLSelectElement).value).toBe('bob-HIJKLMN')
    // Each mirror by its peer as the other screens name it, not by its folder's name.
    expect(view.findAll('option').map((o) => o.text())).toEqual(['alice laptop: 0 kept', `bob desktop (127.0.0.1:4001): ${HISTORY_PAGE_SIZE + 5} kept, 5.0 KB`])
    expect(view.find('.history-folder').text()).toBe('Its mirror folder: bob-HIJKLMN in /home/you/Shared-mirrors')
    expect(view.find('table').attributes('aria-label')).toBe('History of bob desktop (127.0.0.1:4001)')
    expect(rowPaths(view)).toHaveLength(HISTORY_PAGE_SIZE)
    expect(rowPaths(view)[0]).toBe(`docs/file ${HISTORY_PAGE_SIZE + 5}.txt`)
    expect(view.text()).toContain(`${HISTORY_PAGE_SIZE} of ${HISTORY_PAGE_SIZE + 5} shown`)
    button(view, 'Show older').click()
    await flushPromises()
    expect(rowPaths(view)).toHaveLength(HISTORY_PAGE_SIZE + 5)
    expect(rowPaths(view).at(-1)).toBe('docs/file 1.txt')
    expect(api.historyAsked.at(-1)!.before).toEqual({ at: AT - (HISTORY_PAGE_SIZE - 1) * 60_000, id: 'v0006' })
    expect(view.findAll('button').some((b) => b.text() === 'Show older')).toBe(false)

    // Another mirror: its own (empty) history, said in words.
    await view.find('select').setValue('alice-ABCDEFG')
    await flushPromises()
    expect(view.find('table').exists()).toBe(false)
    expect(view.text()).toContain('Nothing of the mirror of alice laptop is kept')
    expect(view.find('.history-folder').text()).toBe('Its mirror folder: alice-ABCDEFG in /home/you/Shared-mirrors')
    view.unmount()
  })

  it('shows what a peer deletes while the screen is open, a moment after the burst, and stops asking once it is left', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      withHistory(versions(2))
      const view = mountView(HistoryView)
      await flushPromises()
      expect(rowPaths(view)).toHaveLength(2)
      const asked = api.historyAsked.length
      // The peer deletes one more: the mirror's file goes, its version into the history.
      withHistory(versions(3))
      const removed = (i: number): AppEvent => ({ type: 'file-removed', peer: '127.0.0.1:4001', path: `docs/x${i}`, at: AT, seq: 100 + i })
      for (let i = 0; i < 5; i++) useHistoryStore().apply([removed(i)])
      await vi.advanceTimersByTimeAsync(HISTORY_REFRESH_MS)
      await flushPromises()
      expect(api.historyAsked.length).toBe(asked + 1)
      expect(rowPaths(view)[0]).toBe('docs/file 3.txt')
      view.unmount()
      useHistoryStore().apply([removed(9)])
      await vi.advanceTimersByTimeAsync(HISTORY_REFRESH_MS * 2)
      expect(api.historyAsked.length).toBe(asked + 1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('restores into a folder browsed on the engine’s machine, and says where it went', async () => {
    withHistory(versions(2))
    // The peer at that address is known by name: the panel names it as its row does.
    const view = mountView(HistoryView)
    usePeersStore().load([{ key: '127.0.0.1:4001', ip: '127.0.0.1', port: 4001, state: 'synced', since: 0, name: 'bob' }])
    await flushPromises()
    button(view, `Restore docs/file 2.txt (${formatWhen(AT)})`).click()
    await flushPromises()
    expect(view.text()).toMatch(/removed again by the next sync/)
    expect(view.find('.restore-panel').text()).toContain('deleted by bob (127.0.0.1:4001) on')
    expect(view.text()).toContain('/home/you/Shared-mirrors')
    // The name its copy would take beside a file of its name: this version's own.
    expect(view.find('.restore-panel').text()).toContain(`file 2 (restored ${localDate(new Date())}).txt`)
    // No native dialog in a browser: the engine's folder browser.
    button(view, 'Browse for the folder to restore into').click()
    await flushPromises()
    button(view, 'Choose this folder').click()
    await flushPromises()
    expect(byLabel(view, 'Restore into').value).toBe('/home/you')
    button(view, 'Restore').click()
    await flushPromises()
    expect(api.restores).toEqual([{ folder: 'bob-HIJKLMN', id: 'v0002', to: '/home/you' }])
    expect(view.find('[role="status"].ok').text()).toBe('Restored docs/file 2.txt to /home/you/file 2.txt.')
    expect(view.find('.restore-panel').exists()).toBe(false)
    // The keyboard is back where it was, on that version's Restore… button (not lost to the page).
    expect(document.activeElement).toBe(button(view, `Restore docs/file 2.txt (${formatWhen(AT)})`))
    view.unmount()
  })

  it('uses the native chooser where there is one, and shows why main refused', async () => {
    withHistory(versions(1))
    api.state = { ...api.state, canChooseFolder: true }
    await useSettingsStore().load()
    api.restoreChoice = '/home/you/Shared-mirrors/bob-HIJKLMN'
    api.restoreAnswer = { ok: false, message: 'Not restoring into /home/you/Shared-mirrors/bob-HIJKLMN: it is inside the mirror folder.' }
    const view = mountView(HistoryView)
    await flushPromises()
    button(view, `Restore docs/file 1.txt (${formatWhen(AT)})`).click()
    await flushPromises()
    button(view, 'Choose the folder to restore into').click()
    await flushPromises()
    expect(byLabel(view, 'Restore into').value).toBe('/home/you/Shared-mirrors/bob-HIJKLMN')
    button(view, 'Restore').click()
    await flushPromises()
    expect(view.find('.restore-panel [role="alert"]').text()).toContain('inside the mirror folder')
    expect(byLabel(view, 'Restore into').getAttribute('aria-invalid')).toBe('true')
    view.unmount()
  })

  it('says when history is off, and why there is nothing on a server', async () => {
    withHistory([], 0)
    const view = mountView(HistoryView)
    await flushPromises()
    expect(view.text()).toContain('History is off: Keep history is 0 days in Settings')
    view.unmount()
    api.historyMirrors = { ok: false, message: 'This machine is the server: it mirrors nothing, so it keeps no history.' }
    const server = mountView(HistoryView)
    await flushPromises()
    expect(server.find('[role="alert"]').text()).toContain('This machine is the server')
    server.unmount()
  })
})

describe('the ignore editor', () => {
  it('shows the patterns and the built-in list read-only, names a skipped line before sending, and saves', async () => {
    api.ignore = { ok: true, file: '/home/you/Shared/.syncignore', text: 'build/\n', problem: null, defaults: ['*.swp', '.DS_Store'] }
    const view = mountView(IgnoreEditor)
    await flushPromises()
    const text = byLabel(view, 'Patterns in .syncignore') as unknown as HTMLTextAreaElement
    expect(text.value).toBe('build/\n')
    const defaults = byLabel(view, 'Built-in patterns (read-only)') as unknown as HTMLTextAreaElement
    expect(defaults.readOnly).toBe(true)
    expect(defaults.value).toBe('*.swp\n.DS_Store')
    expect(view.text()).toContain('!pattern overrides one of them')
    expect(button(view, 'Save patterns').disabled).toBe(true)

    await view.find('#ignore-text').setValue('build/\n!\n')
    expect(view.find('#ignore-problem').text()).toBe('Line 2 ("!") is a "!" with no pattern after it: the ignore rules skip such a line, so it ignores nothing. Fix it or take it out.')
    expect(button(view, 'Save patterns').disabled).toBe(true)
    await view.find('#ignore-text').setValue('build/\n*.log\n')
    expect(view.find('#ignore-problem').text()).toBe('')
    button(view, 'Save patterns').click()
    await flushPromises()
    expect(api.ignoreSaved).toEqual(['build/\n*.log\n'])
    expect(view.text()).toContain('Saved. The engine uses these patterns now.')

    api.ignoreRefusal = 'Could not write /home/you/Shared/.syncignore: EACCES'
    await view.find('#ignore-text').setValue('build/\n')
    button(view, 'Save patterns').click()
    await flushPromises()
    expect(view.find('#ignore-problem').text()).toBe('Could not write /home/you/Shared/.syncignore: EACCES')
    view.unmount()
  })

  it('reads the file again when the engine says its problem changed (fixed elsewhere), unless edited here', async () => {
    api.ignore = { ok: true, file: '/home/you/Shared/.syncignore', text: null, problem: '.syncignore is not used: it is not valid UTF-8. Saving here replaces it.', defaults: [] }
    const folders = useFoldersStore()
    const own = { type: 'folder-state', folder: '/home/you/Shared', files: 1, bytes: 1, ignored: 0, scanning: false, missing: false }
    folders.apply([{ ...own, ignoreProblem: '/home/you/Shared/.syncignore is not used: it is not valid UTF-8; the built-in defaults stay in force', at: 1, seq: 1 } as AppEvent])
    const view = mountView(IgnoreEditor)
    await flushPromises()
    expect(view.find('[role="alert"]').text()).toContain('not valid UTF-8')
    api.ignore = { ok: true, file: '/home/you/Shared/.syncignore', text: 'build/\n', problem: null, defaults: [] }
    folders.apply([{ ...own, ignoreProblem: null, at: 2, seq: 2 } as AppEvent])
    await flushPromises()
    expect(view.find('[role="alert"]').exists()).toBe(false)
    expect((byLabel(view, 'Patterns in .syncignore') as unknown as HTMLTextAreaElement).value).toBe('build/\n')
    // What is typed here is not replaced.
    await view.find('#ignore-text').setValue('build/\n*.log\n')
    api.ignore = { ok: true, file: '/home/you/Shared/.syncignore', text: 'other/\n!\n', problem: null, defaults: [] }
    folders.apply([{ ...own, ignoreProblem: '/home/you/Shared/.syncignore: line 2 ("!") …', at: 3, seq: 3 } as AppEvent])
    await flushPromises()
    expect((byLabel(view, 'Patterns in .syncignore') as unknown as HTMLTextAreaElement).value).toBe('build/\n*.log\n')
    view.unmount()
  })

  it('says why there are no patterns to edit, and when the file there is not used', async () => {
    api.ignore = { ok: false, message: 'This machine is the server: it shares no folder, so it has no ignore patterns.' }
    const server = mountView(IgnoreEditor)
    await flushPromises()
    expect(server.text()).toContain('This machine is the server')
    expect(server.find('textarea').exists()).toBe(false)
    server.unmount()
    api.ignore = { ok: true, file: '/s/.syncignore', text: null, problem: '.syncignore is not used: it is a link, and links are not followed. Saving here replaces it.', defaults: [] }
    const view = mountView(IgnoreEditor)
    await flushPromises()
    expect(view.find('[role="alert"]').text()).toContain('it is a link')
    expect(view.text()).toContain('not there yet')
    view.unmount()
  })
})
