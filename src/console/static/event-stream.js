// Follows one Server-Sent Events URL with the browser's EventSource, which reconnects by itself and
// sends Last-Event-ID. Each event is handed on once: an id at or below the last one seen is a repeat
// after a reconnect and is dropped. Events named in `always` are taken whatever their id (`reset`
// restarts the numbering; a list stream starts again with its whole list).

export function followStream (url, { names, always = [], onEvent, onState }) {
  let lastId = -1
  let source = null
  const open = (resumeAfter) => {
    source = new EventSource(resumeAfter > 0 ? `${url}&lastEventId=${resumeAfter}` : url)
    source.addEventListener('open', () => onState('live'))
    source.addEventListener('error', () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'))
    for (const name of [...names, ...always]) {
      source.addEventListener(name, (e) => {
        const id = e.lastEventId === '' ? null : Number(e.lastEventId)
        // Taken whatever their id, they also restart the count (a restarted gateway numbers its list anew).
        if (always.includes(name)) lastId = id ?? lastId
        else if (id !== null && id <= lastId) return
        else if (id !== null) lastId = id
        let data
        try { data = JSON.parse(e.data) } catch { return }
        onEvent(name, data)
      })
    }
  }
  open(0)
  return {
    /** After the browser gave up (an error answer): a new connection that resumes after the last event. */
    reopen () {
      source.close()
      open(lastId)
    },
    close () { source.close() }
  }
}
