type Attrs = Record<string, string | number | boolean | EventListener | undefined>
type Child = Node | string | null | undefined | false

/**
 * Builds an element. Text always goes in as text nodes (never innerHTML), so
 * names and chat from the server cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (k === 'class') el.className = String(v)
    else if (v === true) el.setAttribute(k, '')
    else el.setAttribute(k, String(v))
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c)
  return el
}

/** Replaces the main region's content and moves focus to its heading, so screen readers announce the new page. */
export function show (root: HTMLElement, ...content: Node[]): void {
  root.replaceChildren(...content)
  const heading = root.querySelector('h1')
  if (heading) { heading.tabIndex = -1; heading.focus() }
}

/** A polite live region message (status, queue changes). */
export function announce (text: string): void {
  const live = document.getElementById('announcer')
  if (!live) return
  live.textContent = ''
  // A fresh text node after a tick makes repeated messages get read again.
  window.setTimeout(() => { live.textContent = text }, 50)
}

export function formatTime (iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function field (label: string, input: HTMLInputElement): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`
  input.id = id
  return h('div', { class: 'field' }, h('label', { for: id }, label), input)
}
