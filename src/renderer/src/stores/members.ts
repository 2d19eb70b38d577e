// The server's members as the Members screen shows them: the list main keeps (replaced whole by
// each newer `members` event, whoever changed it), the invite just made, and each action's outcome.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AppEvent, CreatedInvite, MemberActionReply, MembersState, MemberView } from '../../../shared/contract'
import { api } from '../bridge/api'

export type MemberAction = 'accept' | 'refuse' | 'remove'

/** What an answer that changed nothing means, in words for the user. */
const UNCHANGED: Partial<Record<MemberActionReply['result'], string>> = {
  'already-member': 'is already a member.',
  'not-pending': 'has not asked to join (any more).',
  unknown: 'is no longer listed.',
}

export const useMembersStore = defineStore('members', () => {
  const state = shallowRef<MembersState | null>(null)
  const invite = ref<Extract<CreatedInvite, { ok: true }> | null>(null)
  const inviteProblem = ref<string | null>(null)
  const making = ref(false)
  /** The device an action is under way for, so its buttons wait. */
  const busy = ref<string | null>(null)
  const outcome = ref<string | null>(null)
  const failure = ref<string | null>(null)

  const members = computed<MemberView[]>(() => state.value?.members ?? [])
  const pending = computed(() => members.value.filter((m) => m.state === 'pending'))

  /** Keeps the newest list: a reply and an event may arrive in either order. */
  function take(next: MembersState): void {
    if (!state.value || next.revision >= state.value.revision) state.value = next
  }

  async function load(): Promise<void> {
    try {
      take(await api().listMembers())
      failure.value = null
    } catch (error) {
      failure.value = messageOf(error)
    }
  }

  function apply(events: readonly AppEvent[]): void {
    for (const event of events) if (event.type === 'members') take(event.state)
  }

  async function makeInvite(): Promise<void> {
    making.value = true
    inviteProblem.value = null
    try {
      const reply = await api().createInvite()
      if (reply.ok) invite.value = reply
      else inviteProblem.value = reply.message
    } catch (error) {
      inviteProblem.value = messageOf(error)
    } finally {
      making.value = false
    }
  }

  async function act(action: MemberAction, member: MemberView): Promise<void> {
    busy.value = member.id
    outcome.value = null
    failure.value = null
    try {
      const bridge = api()
      const reply = await (action === 'accept' ? bridge.acceptMember(member.id) : action === 'refuse' ? bridge.refuseMember(member.id) : bridge.removeMember(member.id))
      take(reply.state)
      const unchanged = UNCHANGED[reply.result]
      if (unchanged) outcome.value = `${member.name || member.shortId} ${unchanged}`
    } catch (error) {
      failure.value = messageOf(error)
    } finally {
      busy.value = null
    }
  }

  return { state, members, pending, invite, inviteProblem, making, busy, outcome, failure, load, apply, makeInvite, act }
})

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
