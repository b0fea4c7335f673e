// Sign-in: the admin token alone, or a run's token with the run's id. The token is checked against
// the API before it is kept, so a wrong one is said at once.
import { call, explain, runPath } from './api.js'
import { saveAuth } from './auth.js'
import { el, say } from './dom.js'

export function signInView (main, { onSignedIn }) {
  const token = el('input', { name: 'token', type: 'password', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', required: true })
  const run = el('input', { name: 'run', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', placeholder: 'run_…' })
  const error = el('p', { class: 'form-error', role: 'alert', hidden: true })
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Sign in')
  const form = el('form', { class: 'stack', novalidate: true },
    el('label', {}, 'Token', token),
    el('label', {}, el('span', {}, 'Run id ', el('span', { class: 'muted' }, '(only with a run token)')), run),
    submit,
    error)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const auth = run.value.trim() === ''
      ? { kind: 'admin', token: token.value.trim() }
      : { kind: 'run', run: run.value.trim(), token: token.value.trim() }
    if (auth.token === '') return say(error, 'Enter a token.')
    submit.disabled = true
    say(error, '')
    try {
      // The list answers the admin token only; a run answers its own token (or the admin's).
      await call(auth, 'GET', auth.kind === 'admin' ? 'v1/runs?limit=1' : runPath(auth.run))
      saveAuth(auth)
      onSignedIn()
    } catch (e) {
      say(error, explain(e))
      submit.disabled = false
    }
  })
  main.replaceChildren(el('section', { class: 'card narrow' },
    el('h1', {}, 'Sign in'),
    el('p', { class: 'muted' }, 'The admin token shows every run and can start new ones. A run\'s token, with its id, shows that run only.'),
    form))
  token.focus()
  return () => {}
}
