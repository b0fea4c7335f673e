// Builds elements without ever parsing HTML: strings become text nodes, so whatever an agent printed
// (tags, scripts, event handlers) stays visible text. There is no innerHTML anywhere in the console,
// and the page's Trusted Types policy would make one throw.

/**
 * `el('li', { class: 'tool', onclick: f, dataset: { id } }, 'text', child)`. Props: `class`, `text`,
 * `on<event>` listeners, `dataset`, and plain attributes (true → present, false/null → absent).
 */
export function el (tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') node.className = value
    else if (key === 'text') node.textContent = String(value)
    else if (key === 'dataset') Object.assign(node.dataset, value)
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value)
    else node.setAttribute(key, value === true ? '' : String(value))
  }
  add(node, ...children)
  return node
}

/** Appends children; strings and numbers as text nodes, null and false skipped. */
export function add (node, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    node.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return node
}

/** Shows a message in an element meant for it (role=alert or status), or hides it when empty. */
export function say (node, message, kind = 'bad') {
  node.textContent = message ?? ''
  node.hidden = !message
  node.dataset.kind = kind
}
