// A run's event stream drawn as a conversation: assistant text as it streams, each tool call one
// collapsible line with its outcome, output outside the agent's structured stream (stderr) in blocks
// of its own, permission questions with Allow and Deny, and the result with its numbers. Every piece
// of agent output is put in as text (dom.js), never parsed as HTML.
import { explain } from './api.js'
import { el, say } from './dom.js'
import { clock, cost, duration, statusLabel } from './format.js'

export function createConversation (list, { answer, readOnly }) {
  let bubble = null
  let logBlock = null
  let shownStatus = null
  let written = ''
  const tools = new Map()
  const asks = []

  const push = (item) => {
    bubble = null
    logBlock = null
    list.append(item)
  }
  const note = (text, kind = 'meta') => push(el('li', { class: kind }, text))

  const handlers = {
    run: (run) => {
      if (run.status === shownStatus) return
      shownStatus = run.status
      if (run.status === 'queued') note(`Queued at ${clock(run.created_at)}`)
      else if (run.status === 'running') note(`Running since ${clock(run.started_at ?? run.created_at)}`)
    },
    session: (data) => note(`Session ${data.session}${data.model !== undefined ? ` · ${data.model}` : ''}`),
    text: (data) => {
      written += data.text
      // Agents separate their messages with blank lines; a new bubble already separates them.
      const piece = bubble === null ? data.text.replace(/^\n+/, '') : data.text
      if (piece === '') return
      if (bubble === null) {
        const text = el('div', { class: 'text' })
        push(el('li', { class: 'msg' }, text))
        bubble = text
      }
      bubble.append(document.createTextNode(piece))
    },
    tool_start: (data) => push(toolLine(data.tool_id, data.name, data.summary)),
    tool_end: (data) => {
      // Its start may be gone (a reset): the end gets a line of its own.
      if (!tools.has(data.tool_id)) push(toolLine(data.tool_id, 'tool', ''))
      const tool = tools.get(data.tool_id)
      tool.state.dataset.state = data.ok ? 'ok' : 'failed'
      tool.state.textContent = data.ok ? 'done' : 'failed'
      tool.result.textContent = data.summary ?? (data.ok ? 'Finished.' : 'Failed.')
    },
    log: (data) => {
      if (logBlock === null || logBlock.dataset.stream !== data.stream) {
        const pre = el('pre', { dataset: { stream: data.stream } })
        push(el('li', { class: 'log' }, el('div', { class: 'log-head' }, data.stream), pre))
        logBlock = pre
      }
      logBlock.append(document.createTextNode(`${data.line}\n`))
    },
    permission: (data) => {
      const ask = permissionCard(data, { answer, readOnly })
      asks.push(ask)
      push(ask.card)
    },
    result: (run) => {
      shownStatus = run.status
      for (const ask of asks) ask.end()
      push(resultCard(run, written))
    },
    reset: (run) => {
      list.replaceChildren()
      tools.clear()
      asks.length = 0
      written = ''
      shownStatus = null
      note('Earlier events of this run are no longer kept; what is kept follows.', 'meta warn')
      handlers.run(run)
    }
  }

  function toolLine (id, name, summary) {
    const state = el('span', { class: 'tool-state', dataset: { state: 'running' } }, 'running')
    const result = el('p', { class: 'tool-result' }, 'Running…')
    const item = el('li', { class: 'tool', dataset: { toolId: id } },
      el('details', {},
        el('summary', {}, state, el('span', { class: 'tool-name' }, name), el('code', { class: 'tool-summary' }, summary)),
        el('div', { class: 'tool-body' }, summary !== '' ? el('pre', {}, summary) : null, result)))
    tools.set(id, { state, result })
    return item
  }

  return {
    apply (name, data) { handlers[name]?.(data) }
  }
}

function permissionCard (data, { answer, readOnly }) {
  const status = el('p', { class: 'perm-status', role: 'status', hidden: true })
  const allow = el('button', { type: 'button', class: 'allow' }, 'Allow')
  const deny = el('button', { type: 'button', class: 'deny' }, 'Deny')
  const buttons = el('div', { class: 'row perm-buttons', hidden: readOnly }, allow, deny)
  const card = el('li', { class: 'permission', dataset: { pid: data.pid } },
    el('div', { class: 'perm-title' }, 'Permission requested: ', el('strong', {}, data.tool)),
    el('pre', { class: 'perm-summary' }, data.summary),
    el('p', { class: 'muted small' }, `Denied at ${clock(data.expires_at)} if nobody answers.`),
    buttons,
    status)
  const settle = (message, kind) => {
    buttons.hidden = true
    card.dataset.state = kind
    say(status, message, kind)
  }
  const decide = async (decision) => {
    allow.disabled = true
    deny.disabled = true
    try {
      await answer(data.pid, decision)
      settle(decision === 'allow' ? 'Allowed.' : 'Denied.', decision)
    } catch (e) {
      // 409: answered already (elsewhere, or it expired); 404: the run no longer asks it.
      if (e.status === 409 || e.status === 404) return settle(explain(e), 'closed')
      say(status, explain(e))
      allow.disabled = false
      deny.disabled = false
    }
  }
  allow.addEventListener('click', () => decide('allow'))
  deny.addEventListener('click', () => decide('deny'))
  return {
    card,
    end: () => { if (!buttons.hidden) settle('The run ended.', 'closed') }
  }
}

function resultCard (run, written) {
  const figure = (label, value) => el('div', {}, el('dt', {}, label), el('dd', {}, value))
  const output = run.output.trim()
  return el('li', { class: 'result', dataset: { status: run.status } },
    el('div', { class: 'row' },
      el('span', { class: `status s-${run.status}` }, statusLabel(run.status)),
      el('span', { class: 'muted' }, run.finished_at !== null ? `Finished at ${clock(run.finished_at)}` : '')),
    el('dl', { class: 'numbers' },
      figure('Duration', duration(run.duration_ms)),
      figure('Cost', cost(run.cost_usd)),
      figure('Turns', run.turns ?? '—'),
      figure('Exit code', run.exit_code ?? '—')),
    run.error !== null ? el('p', { class: 'result-error' }, run.error) : null,
    run.notice ? el('p', { class: 'muted' }, run.notice) : null,
    // The final answer is shown when the streamed text did not already say it.
    output !== '' && output !== written.trim()
      ? el('details', { class: 'final' }, el('summary', {}, run.truncated ? 'Final answer (truncated)' : 'Final answer'), el('pre', {}, run.output))
      : null)
}
