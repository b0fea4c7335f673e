// The admin's "New run" form: a request for one caller, answered like that caller's webhook would be
// (a run, a built-in's answer, a confirmation to send, or a refusal naming the policy rule).
import { explain } from './api.js'
import { el, say } from './dom.js'
import { newRequestKey, startRun } from './run-actions.js'

export function newRunForm (auth, { callers, onStarted, onClose }) {
  let key = newRequestKey()
  const caller = el('select', { name: 'caller', required: true }, callers.map((c) => el('option', { value: c }, c)))
  const text = el('textarea', { name: 'text', rows: '3', required: true, placeholder: '/command args, or plain text for the caller\'s default command' })
  const user = el('input', { name: 'user', autocomplete: 'off', autocapitalize: 'off' })
  const thread = el('input', { name: 'thread', autocomplete: 'off', autocapitalize: 'off' })
  const status = el('p', { class: 'form-error', role: 'alert', hidden: true })
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Start run')
  const form = el('form', { class: 'card stack new-run', novalidate: true },
    el('div', { class: 'row' }, el('h2', {}, 'New run'), el('span', { class: 'bar-gap' }),
      el('button', { type: 'button', class: 'quiet', onclick: onClose }, 'Close')),
    el('label', {}, 'Caller', caller),
    el('label', {}, 'Request', text),
    el('details', {}, el('summary', {}, 'User and thread (optional)'),
      el('div', { class: 'stack' }, el('label', {}, 'User', user), el('label', {}, 'Thread', thread))),
    el('div', { class: 'row' }, submit),
    status)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (caller.value === '' || text.value.trim() === '') return say(status, 'Pick a caller and write the request.')
    submit.disabled = true
    say(status, '')
    try {
      const { status: code, data } = await startRun(auth, {
        caller: caller.value,
        text: text.value,
        ...(user.value.trim() !== '' ? { user: user.value.trim() } : {}),
        ...(thread.value.trim() !== '' ? { thread: thread.value.trim() } : {})
      }, key)
      key = newRequestKey()
      // 200 without an id: a built-in answered or a confirmation is needed; nothing runs yet.
      if (data?.id === undefined) {
        say(status, data?.message ?? 'Answered without starting a run.', 'info')
      } else {
        text.value = ''
        onStarted(data.id, code)
      }
    } catch (e) {
      say(status, explain(e))
    } finally {
      submit.disabled = false
    }
  })
  return { form, focus: () => (callers.length > 0 ? text : caller).focus() }
}
