// One run: its header (status and numbers), its conversation followed live from
// GET /v1/runs/{id}/events, and what may be done to it: cancel, answer a permission question, send a
// message. A reconnect resumes after the last event seen (event-stream.js), so nothing shows twice.
import { call, explain, runPath, streamUrl } from './api.js'
import { readOnly, saveAuth } from './auth.js'
import { createConversation } from './conversation.js'
import { el, say } from './dom.js'
import { followStream } from './event-stream.js'
import { age, cost, FINAL, runDuration, statusLabel } from './format.js'
import { answerPermission, cancelRun, steerRun } from './run-actions.js'

const EVENTS = ['run', 'session', 'text', 'tool_start', 'tool_end', 'log', 'permission', 'result']

export function runView (main, auth, id, { admin }) {
  const limited = readOnly(auth)
  let run = null
  let stream = null
  let retry
  let armed

  const status = el('span', { class: 'status' })
  const title = el('h1', {})
  const conn = el('span', { class: 'conn', dataset: { state: 'connecting' } }, 'connecting')
  const who = el('p', { class: 'muted run-who' })
  const figures = { age: el('dd'), duration: el('dd'), cost: el('dd'), turns: el('dd'), exit: el('dd') }
  const cancel = el('button', { type: 'button', class: 'danger', hidden: limited }, 'Cancel run')
  const headError = el('p', { class: 'form-error', role: 'alert', hidden: true })
  const banner = el('div', { class: 'banner', role: 'alert', hidden: true })
  const list = el('ol', { class: 'conversation', role: 'log', 'aria-label': 'Conversation' })
  const message = el('textarea', { name: 'message', rows: '2', placeholder: 'A message for the agent while it works' })
  const send = el('button', { type: 'submit', class: 'primary' }, 'Send')
  const steerStatus = el('p', { class: 'form-error', role: 'alert', hidden: true })
  const steer = el('form', { class: 'card stack steer', novalidate: true, hidden: limited },
    el('label', {}, 'Message', message), el('div', { class: 'row' }, send), steerStatus)

  const conversation = createConversation(list, {
    readOnly: limited,
    answer: (pid, decision) => answerPermission(auth, id, pid, decision)
  })

  const showRun = (next) => {
    run = next
    status.className = `status s-${run.status}`
    status.textContent = statusLabel(run.status)
    title.textContent = `/${run.command}`
    who.replaceChildren(...[run.caller, run.user, run.thread].filter((x) => x !== null && x !== '').map((x, i) => i === 0 ? x : ` · ${x}`),
      el('br'), el('span', { class: 'mono' }, run.id))
    figures.age.textContent = age(run.created_at)
    figures.duration.textContent = runDuration(run)
    figures.cost.textContent = cost(run.cost_usd)
    figures.turns.textContent = run.turns ?? '—'
    figures.exit.textContent = run.exit_code ?? '—'
    cancel.hidden = limited || FINAL.has(run.status)
    if (FINAL.has(run.status)) message.placeholder = 'The run has finished; the gateway refuses messages now'
  }

  const setConn = (state, text = state) => {
    conn.dataset.state = state
    conn.textContent = text
  }

  const follow = () => {
    stream = followStream(streamUrl(`${runPath(id)}/events`, auth), {
      names: EVENTS,
      always: ['reset'],
      onEvent: (name, data) => {
        const stick = nearBottom()
        if (name === 'run' || name === 'result' || name === 'reset') showRun(data)
        conversation.apply(name, data)
        if (name === 'result') {
          stream.close()
          setConn('ended')
        }
        if (stick) scrollTo({ top: document.documentElement.scrollHeight })
      },
      onState: (state) => {
        if (state === 'live') say(banner, '')
        if (state !== 'closed') return setConn(state, state === 'reconnecting' ? 'reconnecting…' : state)
        setConn('closed', 'disconnected')
        retry = setTimeout(diagnose, 3000)
      }
    })
  }

  // The browser gives up on an error answer: ask the API why, and follow again unless it is final.
  const diagnose = async () => {
    try {
      await call(auth, 'GET', runPath(id))
      stream.reopen()
    } catch (e) {
      say(banner, `${explain(e)} ${e.status === 401 ? 'Sign out and in again with a valid token.' : 'Trying again…'}`)
      if (e.status !== 401 && e.status !== 404) retry = setTimeout(diagnose, 5000)
    }
  }

  cancel.addEventListener('click', async () => {
    // Two taps: a phone in a pocket does not cancel a run.
    if (cancel.dataset.armed !== 'yes') {
      cancel.dataset.armed = 'yes'
      cancel.textContent = 'Tap again to cancel'
      armed = setTimeout(() => { cancel.dataset.armed = ''; cancel.textContent = 'Cancel run' }, 4000)
      return
    }
    clearTimeout(armed)
    cancel.dataset.armed = ''
    cancel.disabled = true
    cancel.textContent = 'Cancelling…'
    try {
      await cancelRun(auth, id)
      say(headError, '')
    } catch (e) {
      say(headError, explain(e))
    } finally {
      cancel.disabled = false
      cancel.textContent = 'Cancel run'
    }
  })

  steer.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (message.value.trim() === '') return say(steerStatus, 'Write a message first.')
    send.disabled = true
    try {
      const { data } = await steerRun(auth, id, message.value)
      message.value = ''
      say(steerStatus, data.message, 'info')
      // Queued as the next turn: a new run, with its own token, carries the message.
      if (data.delivered === 'queued' && data.run?.id !== id) {
        steerStatus.append(' ', el('a', {
          href: `#run=${encodeURIComponent(data.run.id)}`,
          // Signed in with a run token, the page takes the new run's own token; the address change shows it.
          onclick: () => { if (!admin && data.run.token !== undefined) saveAuth({ kind: 'run', run: data.run.id, token: data.run.token }) }
        }, `Open ${data.run.id}`))
      }
    } catch (e) {
      say(steerStatus, explain(e))
    } finally {
      send.disabled = false
    }
  })

  const figure = (label, dd) => el('div', {}, el('dt', {}, label), dd)
  main.replaceChildren(el('section', { class: 'run-view' },
    admin ? el('a', { class: 'back', href: '#' }, '← Runs') : null,
    el('header', { class: 'card run-head' },
      el('div', { class: 'row title' }, status, title, el('span', { class: 'bar-gap' }), conn),
      who,
      el('dl', { class: 'numbers' }, figure('Created', figures.age), figure('Duration', figures.duration),
        figure('Cost', figures.cost), figure('Turns', figures.turns), figure('Exit code', figures.exit)),
      limited ? el('p', { class: 'muted small' }, 'This link can read the run, not control it.') : null,
      el('div', { class: 'row' }, cancel),
      headError),
    banner,
    list,
    steer))

  call(auth, 'GET', runPath(id)).then(({ data }) => {
    showRun(data)
    follow()
  }, (e) => {
    setConn('closed', 'not available')
    say(banner, explain(e))
  })
  const ticker = setInterval(() => { if (run !== null) { figures.age.textContent = age(run.created_at); figures.duration.textContent = runDuration(run) } }, 1000)
  return () => {
    clearInterval(ticker)
    clearTimeout(retry)
    clearTimeout(armed)
    stream?.close()
  }
}

function nearBottom () {
  return innerHeight + scrollY >= document.documentElement.scrollHeight - 120
}
