// The frame of a component test: a fresh Pinia and window.api for each test, screens mounted into
// the document with that Pinia, and the controls found as a screen reader names them.
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, getActivePinia, setActivePinia } from 'pinia'
import { installApi, type TestApi } from './window-api'

/** A new active Pinia and a new window.api; call it in beforeEach so no test sees another's state. */
export function freshWindow(): TestApi {
  setActivePinia(createPinia())
  return installApi()
}

/** Mounts a screen or component into the document with the active Pinia (the one freshWindow made). */
export function mountView(component: unknown, props: Record<string, unknown> = {}): VueWrapper {
  const pinia = getActivePinia()
  if (!pinia) throw new Error('mountView needs an active Pinia: call freshWindow() in beforeEach')
  return mount(component as Parameters<typeof mount>[0], { props: props as never, global: { plugins: [pinia] }, attachTo: document.body })
}

/** A button as a screen reader names it: its aria-label, else its text. */
export function buttonNamed(root: VueWrapper, name: string) {
  const found = root.findAll('button').find((b) => (b.attributes('aria-label') ?? b.text()) === name)
  if (!found) throw new Error(`no button "${name}"; there are ${root.findAll('button').map((b) => b.attributes('aria-label') ?? b.text()).join(', ')}`)
  return found
}

/** The control a <label> names, as a screen reader finds it. */
export function byLabel(root: VueWrapper, text: string): HTMLInputElement {
  const label = root.findAll('label').find((l) => l.text().trim() === text)
  if (!label) throw new Error(`no label "${text}"`)
  return document.getElementById(label.attributes('for')!) as HTMLInputElement
}
