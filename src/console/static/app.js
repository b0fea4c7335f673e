// The console's entry: takes a console link's token out of the address bar, then shows sign-in, the
// run list (admin) or one run, following the address's fragment (#run=<id>, #new) so the phone's
// back button moves between them.
import { clearAuth, currentAuth, saveAuth, takeLinkToken } from './auth.js'
import { runView } from './run-view.js'
import { runsListView } from './runs-list.js'
import { signInView } from './sign-in.js'
import { initTheme } from './theme.js'

function start () {
  const main = document.getElementById('main')
  const signOut = document.getElementById('signout')
  initTheme(document.getElementById('theme'))
  let unmount = () => {}

  const render = () => {
    const fromLink = takeLinkToken()
    if (fromLink !== null) saveAuth(fromLink)
    unmount()
    scrollTo({ top: 0 })
    const auth = currentAuth()
    signOut.hidden = auth === null
    const params = new URLSearchParams(location.hash.slice(1))
    if (auth === null) {
      unmount = signInView(main, { onSignedIn: render })
    } else if (auth.kind === 'run') {
      // A run token reads its own run and nothing else: there is no list to go back to.
      unmount = runView(main, auth, auth.run, { admin: false })
    } else if (params.has('run')) {
      unmount = runView(main, auth, params.get('run'), { admin: true })
    } else {
      unmount = runsListView(main, auth, { newRun: location.hash === '#new' })
    }
  }

  signOut.addEventListener('click', () => {
    clearAuth()
    history.replaceState(null, '', location.pathname)
    render()
  })
  addEventListener('hashchange', render)
  render()
}

start()
