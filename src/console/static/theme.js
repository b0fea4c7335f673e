// Dark or light: the system's choice (prefers-color-scheme) until the toggle picks one, which is
// remembered in localStorage (the theme only; tokens never go there).
const KEY = 'hookgate.console.theme'

export function initTheme (button) {
  const root = document.documentElement
  const saved = localStorage.getItem(KEY)
  if (saved === 'dark' || saved === 'light') root.dataset.theme = saved
  const system = matchMedia('(prefers-color-scheme: dark)')
  const effective = () => root.dataset.theme ?? (system.matches ? 'dark' : 'light')
  const label = () => button.setAttribute('aria-label', `Switch to ${effective() === 'dark' ? 'light' : 'dark'} theme`)
  button.addEventListener('click', () => {
    const next = effective() === 'dark' ? 'light' : 'dark'
    root.dataset.theme = next
    localStorage.setItem(KEY, next)
    label()
  })
  system.addEventListener('change', label)
  label()
}
