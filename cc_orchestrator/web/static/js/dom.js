// Building elements from data without innerHTML: every string becomes text, never markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// `text` as a link target if it is an http(s) URL, else null: data never becomes a
// javascript: or data: link.
export function httpUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

// A link that opens in a new tab and tells the site nothing of this page; plain text when
// `url` is not http(s).
export function outLink(url, text, attrs = {}) {
  const href = httpUrl(url);
  if (!href) return h("span", attrs, text);
  return h("a", { ...attrs, href, target: "_blank", rel: "noopener noreferrer" }, text);
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function clock(iso) {
  const when = iso ? new Date(iso) : new Date();
  return when.toLocaleTimeString([], { hour12: false });
}

export function toast(message, kind = "info") {
  const box = $("#toasts");
  const item = h("div", { class: `toast ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

// Run `fn` once, `wait` ms after the last of a burst of calls.
export function debounce(fn, wait = 200) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}
