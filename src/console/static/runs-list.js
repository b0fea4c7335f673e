// The admin's run list, live: the first page and every later change come from GET /v1/runs/live.
// Filters (caller, status) are applied by the server to what it sends and again here to the changes,
// so a run leaving the chosen status leaves the list. Ages and running times tick every few seconds.
import { call, explain, streamUrl } from './api.js'
import { add, el, say } from './dom.js'
import { followStream } from './event-stream.js'
import { age, cost, runDuration, STATUSES, statusLabel } from './format.js'
import { newRunForm } from './new-run.js'

const FILTERS = 'hookgate.console.filters'
const SHOWN = 100

export function runsListView (main, auth, { newRun }) {
  const filters = readFilters()
  let wantForm = newRun
  const runs = new Map()
  let callers = []
  let stream = null
  let retryTimer
  const conn = el('span', { class: 'conn', dataset: { state: 'connecting' } }, 'connecting')
  const error = el('p', { class: 'banner', role: 'alert', hidden: true })
  const list = el('ol', { class: 'runs', 'aria-label': 'Runs' })
  const empty = el('p', { class: 'muted empty', hidden: true }, 'No runs.')
  const callerSelect = el('select', { name: 'caller', onchange: () => refilter() }, el('option', { value: '' }, 'All callers'))
  const statusSelect = el('select', { name: 'status', onchange: () => refilter() },
    el('option', { value: '' }, 'Any status'), STATUSES.map((s) => el('option', { value: s }, statusLabel(s))))
  statusSelect.value = filters.status
  const formSlot = el('div')

  const matches = (run) => (filters.caller === '' || run.caller === filters.caller) && (filters.status === '' || run.status === filters.status)

  const render = () => {
    const now = Date.now()
    const sorted = [...runs.values()].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id)).slice(0, SHOWN)
    list.replaceChildren(...sorted.map((run) => row(run, now)))
    empty.hidden = sorted.length > 0
  }

  const setCallers = (names) => {
    callers = names
    const chosen = filters.caller
    callerSelect.replaceChildren(el('option', { value: '' }, 'All callers'), names.map((c) => el('option', { value: c }, c)))
    callerSelect.value = names.includes(chosen) ? chosen : ''
    // A caller chosen before a reload removed it: show every caller again.
    if (chosen !== '' && !names.includes(chosen)) refilter()
    if (wantForm && formSlot.childElementCount === 0) showForm()
  }

  const connect = () => {
    stream?.close()
    const query = { limit: String(SHOWN), ...(filters.caller !== '' ? { caller: filters.caller } : {}), ...(filters.status !== '' ? { status: filters.status } : {}) }
    stream = followStream(streamUrl('v1/runs/live', auth, query), {
      names: ['run', 'shutdown'],
      always: ['runs', 'reset'],
      onEvent: (name, data) => {
        if (name === 'runs' || name === 'reset') {
          runs.clear()
          for (const run of data.runs) runs.set(run.id, run)
          setCallers(data.callers)
          say(error, '')
        } else if (name === 'run') {
          if (matches(data)) runs.set(data.id, data)
          else runs.delete(data.id)
        } else if (name === 'shutdown') {
          setState('stopped', 'gateway stopping')
          stream.close()
          retryTimer = setTimeout(diagnose, 5000)
          return
        }
        render()
      },
      onState: (state) => {
        if (state === 'live') say(error, '')
        if (state !== 'closed') return setState(state, state)
        setState('closed', 'disconnected')
        clearTimeout(retryTimer)
        retryTimer = setTimeout(diagnose, 2000)
      }
    })
  }

  // The browser gives up on an error answer: ask the API why, and connect again unless the token is refused.
  const diagnose = async () => {
    try {
      await call(auth, 'GET', 'v1/runs?limit=1')
      connect()
    } catch (e) {
      say(error, `${explain(e)} ${e.status === 401 ? 'Sign out and in again with a valid token.' : 'Trying again…'}`)
      if (e.status !== 401) retryTimer = setTimeout(diagnose, 5000)
    }
  }

  const setState = (state, text) => {
    conn.dataset.state = state
    conn.textContent = text
  }

  const refilter = () => {
    filters.caller = callerSelect.value
    filters.status = statusSelect.value
    sessionStorage.setItem(FILTERS, JSON.stringify(filters))
    runs.clear()
    render()
    connect()
  }

  const showForm = () => {
    // The form lists the callers the first list event names.
    wantForm = true
    if (callers.length === 0) return
    const { form, focus } = newRunForm(auth, {
      callers,
      onStarted: (id) => { location.hash = `#run=${encodeURIComponent(id)}` },
      onClose: () => {
        wantForm = false
        history.replaceState(null, '', location.pathname)
        formSlot.replaceChildren()
        newButton.hidden = false
      }
    })
    formSlot.replaceChildren(form)
    newButton.hidden = true
    focus()
  }
  const newButton = el('a', { class: 'button primary', href: '#new', onclick: (e) => { e.preventDefault(); history.replaceState(null, '', '#new'); showForm() } }, 'New run')

  main.replaceChildren(el('section', { class: 'runs-view' },
    el('div', { class: 'row title' }, el('h1', {}, 'Runs'), conn, el('span', { class: 'bar-gap' }), newButton),
    formSlot,
    el('div', { class: 'filters' }, el('label', {}, 'Caller', callerSelect), el('label', {}, 'Status', statusSelect)),
    error,
    list,
    empty))
  connect()
  // In place, so a focused or hovered row stays as it is.
  const ticker = setInterval(() => {
    const now = Date.now()
    for (const link of list.querySelectorAll('.run-row')) {
      const run = runs.get(link.dataset.run)
      if (run === undefined) continue
      link.querySelector('.age').textContent = age(run.created_at, now)
      link.querySelector('.took').textContent = runDuration(run, now)
    }
  }, 5000)
  return () => {
    clearInterval(ticker)
    clearTimeout(retryTimer)
    stream?.close()
  }
}

function row (run, now) {
  const who = [run.caller, run.user].filter((x) => x !== null && x !== '').join(' · ')
  return el('li', {},
    el('a', { class: 'run-row', href: `#run=${encodeURIComponent(run.id)}`, dataset: { run: run.id, status: run.status } },
      el('span', { class: `status s-${run.status}` }, statusLabel(run.status)),
      el('span', { class: 'run-what' }, el('strong', {}, `/${run.command}`), ' ', el('span', { class: 'muted' }, who)),
      add(el('span', { class: 'run-meta muted' }),
        el('span', { class: 'age' }, age(run.created_at, now)),
        el('span', { class: 'took' }, runDuration(run, now)),
        el('span', {}, cost(run.cost_usd)))))
}

function readFilters () {
  try {
    const saved = JSON.parse(sessionStorage.getItem(FILTERS) ?? '{}')
    return { caller: typeof saved.caller === 'string' ? saved.caller : '', status: STATUSES.includes(saved.status) ? saved.status : '' }
  } catch {
    return { caller: '', status: '' }
  }
}
