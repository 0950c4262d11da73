// The ladderline playground page: one or two Discord-like panes, each acting as one user.
// Everything the page shows comes from the server-sent event stream (/api/events): a snapshot,
// then each change as it happens. Actions are POSTs that answer with the interaction's ack.
"use strict";

const EPHEMERAL = 1 << 6, LOADING = 1 << 7, IS_V2 = 1 << 15;
const OPTION = { SUB_COMMAND: 1, SUB_COMMAND_GROUP: 2, STRING: 3, INTEGER: 4, BOOLEAN: 5, USER: 6, NUMBER: 10 };
const SELECTS = [3, 5, 6, 7, 8];

const state = {
  users: [], commands: [], messages: new Map(), notes: [], timings: new Map(), panes: [], threads: new Map(), rooms: new Map(),
};

// --- helpers -------------------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function userName(id) {
  const user = state.users.find((u) => u.id === String(id));
  return user ? user.name : `player${String(id).slice(-4)}`;
}

function relative(seconds) {
  const diff = Math.round(seconds - Date.now() / 1000);
  const abs = Math.abs(diff);
  const [value, unit] = abs < 60 ? [abs, "second"] : abs < 3600 ? [Math.round(abs / 60), "minute"]
    : abs < 86400 ? [Math.round(abs / 3600), "hour"] : [Math.round(abs / 86400), "day"];
  const text = `${value} ${unit}${value === 1 ? "" : "s"}`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

// Discord markdown, the parts the bot uses: **bold**, *italic*, __underline__, `code`, ```blocks```,
// [links](url), <@user> mentions, <t:unix:style> timestamps, "- " lists and "# " headings.
function markdown(text) {
  let html = escapeHtml(text || "");
  const blocks = [];
  html = html.replace(/```(?:\w*\n)?([\s\S]*?)```/g, (_, code) => { blocks.push(code); return `\u0000${blocks.length - 1}\u0000`; });
  html = html.replace(/`([^`\n]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/__([^_]+)__/g, "<u>$1</u>")
    .replace(/(^|[^*])\*([^*\n]+)\*/g, "$1<em>$2</em>")
    .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noreferrer">$1</a>')
    .replace(/&lt;@!?(\d+)&gt;/g, (_, id) => `<span class="mention">@${escapeHtml(userName(id))}</span>`)
    .replace(/&lt;t:(-?\d+)(?::([tTdDfFR]))?&gt;/g, (_, unix, style) => {
      const date = new Date(Number(unix) * 1000);
      const shown = style === "R" ? relative(Number(unix)) : date.toLocaleString();
      return `<span class="ts" title="${escapeHtml(date.toLocaleString())}">${escapeHtml(shown)}</span>`;
    })
    .replace(/^#{1,3} (.*)$/gm, "<strong>$1</strong>")
    .replace(/^- (.*)$/gm, "• $1")
    .replace(/\n/g, "<br>");
  return html.replace(/\u0000(\d+)\u0000/g, (_, i) => `<pre>${blocks[Number(i)]}</pre>`);
}

function md(text, cls = "content") {
  const node = el("div", { class: cls });
  node.innerHTML = markdown(text);
  return node;
}

async function post(path, body) {
  const answer = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  let payload = null;
  try { payload = await answer.json(); } catch (_) { payload = null; }
  if (!answer.ok) throw new Error((payload && payload.error) || `HTTP ${answer.status}`);
  return payload;
}

// Where a message or note shows: its place (the channel, one user's DM), to its user if it has one.
// A note of no place is the playground's own (a wave, a fault): the activity list, not a chat.
function visibleIn(pane, item) {
  return item.place === pane.place && (!item.visible_to || item.visible_to === pane.user);
}

const MAX_ACTIVITY = 100;

function addActivity(note) {
  const list = document.getElementById("activity-list");
  list.querySelector(".empty")?.remove();
  list.prepend(el("li", { class: note.type, dataset: { id: note.id || "" } }, note.text));
  while (list.children.length > MAX_ACTIVITY) list.lastChild.remove();
  const count = document.getElementById("activity-count");
  count.textContent = String(list.children.length);
}

function showNote(note) {
  if (note.place === null || note.place === undefined) addActivity(note);
  else state.panes.forEach((pane) => upsert(pane, note));
}

function timingText(id) {
  const t = state.timings.get(id);
  if (!t) return "";
  const parts = [];
  if (t.ack_ms !== undefined) parts.push(`ack ${Math.round(t.ack_ms)} ms`);
  if (t.queue_ms !== undefined) parts.push(`queue ${Math.round(t.queue_ms)} ms`);
  if (t.worker_ms !== undefined) parts.push(`worker ${Math.round(t.worker_ms)} ms`);
  if (t.edit_ms !== undefined) parts.push(`edit ${Math.round(t.edit_ms)} ms`);
  return parts.join(" · ");
}

// --- components ---------------------------------------------------------------------------------
function emoji(component) {
  return component.emoji && component.emoji.name ? `${component.emoji.name} ` : "";
}

function renderButton(pane, entry, c) {
  if (c.style === 5 || c.url) {
    return el("a", { class: "btn s5", href: c.url, target: "_blank", rel: "noreferrer" }, emoji(c) + (c.label || ""));
  }
  const button = el("button", { class: `btn s${c.style || 2}`, type: "button", disabled: !!c.disabled,
    dataset: { customId: c.custom_id } }, emoji(c) + (c.label || ""));
  button.addEventListener("click", () => {
    button.classList.add("pending");
    act(pane, { type: "component", message_id: entry.id, custom_id: c.custom_id })
      .finally(() => button.classList.remove("pending"));
  });
  return button;
}

function renderSelect(pane, entry, c) {
  const multiple = (c.max_values || 1) > 1;
  const select = el("select", { class: "menu", multiple, disabled: !!c.disabled, dataset: { customId: c.custom_id },
    "aria-label": c.placeholder || c.custom_id });
  if (!multiple) select.append(el("option", { value: "", text: c.placeholder || "Make a selection" }));
  const options = c.options || (c.type === 6 ? state.users.map((u) => ({ label: u.name, value: u.id })) : []);
  for (const option of options) {
    select.append(el("option", { value: option.value, selected: !!option.default, title: option.description || "" },
      emoji(option) + option.label));
  }
  const send = () => {
    const values = [...select.selectedOptions].map((o) => o.value).filter((v) => v !== "");
    act(pane, { type: "component", message_id: entry.id, custom_id: c.custom_id, values });
  };
  if (!multiple) {
    select.addEventListener("change", send);
    return select;
  }
  // A multi-select sends once, when the user is done choosing (Discord sends when the menu closes).
  const done = el("button", { class: "menu-done", type: "button", disabled: !!c.disabled,
    dataset: { doneFor: c.custom_id } }, "Done");
  done.addEventListener("click", send);
  return el("span", { class: "row" }, select, done);
}

function renderInteractive(pane, entry, c) {
  if (c.type === 2) return renderButton(pane, entry, c);
  if (SELECTS.includes(c.type)) return renderSelect(pane, entry, c);
  return null;
}

function renderRow(pane, entry, row) {
  return el("div", { class: "row" }, (row.components || []).map((c) => renderInteractive(pane, entry, c)));
}

function media(item) {
  const url = (item.media || {}).url || "";
  return el("img", { src: url, alt: item.description || url, title: url, loading: "lazy" });
}

function renderV2(pane, entry, components) {
  const out = [];
  for (const c of components || []) {
    switch (c.type) {
      case 10: out.push(md(c.content)); break;
      case 17: {
        const box = el("div", { class: "v2-container" }, renderV2(pane, entry, c.components));
        if (Number.isInteger(c.accent_color)) box.style.borderLeftColor = `#${c.accent_color.toString(16).padStart(6, "0")}`;
        out.push(box); break;
      }
      case 9: {
        const accessory = c.accessory || {};
        const side = accessory.type === 11 ? el("img", { class: "thumb", src: (accessory.media || {}).url, alt: accessory.description || "" })
          : renderInteractive(pane, entry, accessory);
        out.push(el("div", { class: "v2-section" }, el("div", {}, renderV2(pane, entry, c.components)), side));
        break;
      }
      case 14: out.push(el("hr", { class: `v2-sep${c.divider === false ? " invisible" : ""}${c.spacing === 2 ? " large" : ""}` })); break;
      case 12: out.push(el("div", { class: "v2-gallery" }, (c.items || []).map(media))); break;
      case 13: out.push(el("div", { class: "v2-file" }, "📎 ", (c.file || {}).url || "file")); break;
      case 11: out.push(el("img", { class: "thumb", src: (c.media || {}).url, alt: c.description || "" })); break;
      case 1: out.push(renderRow(pane, entry, c)); break;
      default: out.push(el("div", { class: "content" }, `(component type ${c.type})`));
    }
  }
  return out;
}

function renderEmbed(embed) {
  const box = el("div", { class: "embed" });
  if (Number.isInteger(embed.color)) box.style.borderLeftColor = `#${embed.color.toString(16).padStart(6, "0")}`;
  if (embed.author && embed.author.name) box.append(el("div", { class: "e-author", text: embed.author.name }));
  if (embed.title) box.append(md(embed.title, "e-title"));
  if (embed.description) box.append(md(embed.description));
  if (embed.fields && embed.fields.length) {
    box.append(el("div", { class: "e-fields" }, embed.fields.map((f) =>
      el("div", { class: `e-field${f.inline ? " inline" : ""}` }, md(`**${f.name}**`), md(f.value)))));
  }
  if (embed.image && embed.image.url) box.append(el("img", { src: embed.image.url, alt: "" }));
  if (embed.footer && embed.footer.text) box.append(el("div", { class: "e-footer", text: embed.footer.text }));
  return box;
}

// --- messages and notes ---------------------------------------------------------------------------
function renderMessage(pane, entry) {
  const m = entry.message;
  const flags = Number(m.flags || 0);
  const body = el("div", { class: "body" });
  const head = el("div", { class: "head" },
    el("span", { class: "author", text: (m.author && m.author.username) || "ladderline" }),
    el("span", { class: "app", text: "APP" }),
    el("time", { text: new Date(m.timestamp || Date.now()).toLocaleTimeString() }),
    m.edited_timestamp ? el("span", { class: "edited", text: "(edited)" }) : null,
    el("span", { class: "timings", text: entry.interaction_id ? timingText(entry.interaction_id) : "" }),
    el("button", { class: "raw", type: "button", title: "The raw JSON Discord sent and received",
      onclick: () => showRaw(entry.interaction_id || entry.id, entry.interaction_id ? "interaction" : "message") }, "{ }"));
  body.append(head);
  if (flags & LOADING) body.append(el("div", { class: "thinking", text: "ladderline is thinking…" }));
  if (flags & IS_V2) {
    body.append(...renderV2(pane, entry, m.components));
  } else {
    if (m.content) body.append(md(m.content));
    for (const embed of m.embeds || []) body.append(renderEmbed(embed));
    for (const row of m.components || []) body.append(renderRow(pane, entry, row));
  }
  if (flags & EPHEMERAL) body.append(el("div", { class: "ephemeral", text: "👁 Only you can see this" }));
  const node = el("div", { class: `msg${flags & LOADING ? " loading" : ""}`, dataset: { id: entry.id, kind: "message" } });
  if (entry.caption && entry.author_user) {
    node.append(el("div", { class: "caption", text: `↳ ${userName(entry.author_user)} ${entry.caption}` }));
  }
  node.append(el("div", { class: "avatar", text: "L" }), body);
  return node;
}

function renderNote(note) {
  const why = note.type === "rejection" ? "Rejected:" : "Playground:";
  return el("div", { class: `note ${note.type}`, dataset: { id: note.id, kind: note.type } },
    el("span", { class: "why", text: why }), note.text);
}

function items(pane) {
  const found = [];
  for (const entry of state.messages.values()) if (visibleIn(pane, { ...entry, type: "message" })) found.push(entry);
  for (const note of state.notes) if (visibleIn(pane, note)) found.push(note);
  return found.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
}

function renderItem(pane, item) {
  return item.message ? renderMessage(pane, item) : renderNote(item);
}

function renderPane(pane) {
  const list = pane.node.querySelector(".messages");
  const shown = items(pane);
  list.replaceChildren(...(shown.length ? shown.map((i) => renderItem(pane, i))
    : [el("div", { class: "empty", text: pane.place === "channel" ? "No messages in #ladder yet. Type / for a command."
      : "No messages with the bot yet." })]));
  list.scrollTop = list.scrollHeight;
  renderThreads(pane);
  pane.node.querySelectorAll(".place").forEach((b) => b.classList.toggle("active", pane.place === placeKey(pane, b.dataset.place)));
  const thread = state.threads.get(pane.place.replace(/^thread:/, ""));
  const room = state.rooms.get(pane.place.replace(/^room:/, ""));
  pane.node.querySelector(".chat-head").textContent = pane.place === "channel" ? "# ladder"
    : thread ? `🧵 ${thread.name}${thread.thread_metadata.archived ? " (archived)" : ""}`
    : room ? `🔒 ${room.name}` : "@ ladderline";
  renderComposerHint(pane);
}

function placeKey(pane, which) {
  return which === "dm" ? `dm:${pane.user}` : /^(thread|room):/.test(which) ? which : "channel";
}

// What the bot opened for this pane's user: the private threads they were added to (a match's)
// and the channels whose permission overwrites let them in (an application's).
const VIEW_CHANNEL = 1n << 10n;

function seesRoom(room, user) {
  return (room.permission_overwrites || []).some((o) => o.id === user && o.type === 1 && (BigInt(o.allow) & VIEW_CHANNEL));
}

function renderThreads(pane) {
  const go = (place) => () => { pane.place = place; resetComposer(pane); renderPane(pane); saveUrl(); };
  const threads = [...state.threads.values()].filter((t) => (t.member_ids || []).includes(pane.user));
  const rooms = [...state.rooms.values()].filter((r) => seesRoom(r, pane.user));
  pane.node.querySelector(".threads").replaceChildren(
    ...threads.map((t) => el("button", { type: "button", class: `place thread${t.thread_metadata.archived ? " archived" : ""}`,
      dataset: { place: `thread:${t.id}` }, title: "a private thread: only its members see it", onclick: go(`thread:${t.id}`) },
      `🧵 ${t.name}`)),
    ...rooms.map((r) => el("button", { type: "button", class: "place thread room", dataset: { place: `room:${r.id}` },
      title: "a private channel: only who its permissions let in sees it", onclick: go(`room:${r.id}`) }, `🔒 ${r.name}`)));
}

function upsert(pane, item) {
  if (!visibleIn(pane, item.message ? { ...item, type: "message" } : item)) {
    if (item.message && item.place === `dm:${pane.user}` && pane.place !== item.place && !pane.seen.has(item.id)) {
      pane.seen.add(item.id);
      const badge = pane.node.querySelector(".place[data-place=dm] .badge");
      badge.textContent = String(Number(badge.textContent || 0) + 1);
    }
    return;
  }
  pane.seen.add(item.id);
  const list = pane.node.querySelector(".messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.querySelector(".empty")?.remove();
  const node = renderItem(pane, item);
  const existing = list.querySelector(`[data-id="${item.id}"]`);
  if (existing) {
    existing.replaceWith(node);
  } else {
    const id = BigInt(item.id);
    const after = [...list.children].find((child) => child.dataset.id && BigInt(child.dataset.id) > id);
    list.insertBefore(node, after || null);
  }
  if (nearBottom || !existing) list.scrollTop = list.scrollHeight;
}

function refreshTimings(interactionId) {
  for (const pane of state.panes) {
    for (const entry of state.messages.values()) {
      if (entry.interaction_id !== interactionId) continue;
      const node = pane.node.querySelector(`.msg[data-id="${entry.id}"] .timings`);
      if (node) node.textContent = timingText(interactionId);
    }
  }
}

async function showRaw(id, what) {
  const dialog = document.getElementById("raw-dialog");
  document.getElementById("raw-title").textContent = what === "interaction"
    ? `Interaction ${id}: what Discord sent the bot, its answer, and the bot's requests to Discord`
    : `Message ${id}: the message and the bot's requests that made it`;
  document.getElementById("raw-body").textContent = "loading…";
  dialog.showModal();
  const answer = await fetch(`/api/raw/${id}`);
  document.getElementById("raw-body").textContent = JSON.stringify(await answer.json(), null, 2);
}

// --- acting ----------------------------------------------------------------------------------------
function localNote(pane, text) {
  const note = { type: "rejection", id: String(BigInt(Date.now() - 1420070400000) << 22n), place: pane.place,
    visible_to: pane.user, text };
  state.notes.push(note);
  upsert(pane, note);
}

async function act(pane, body) {
  const place = pane.place.startsWith("dm:") ? "dm" : "channel";  // a thread is in the server
  try {
    const answer = await post("/api/interact", { ...body, user: pane.user, place, locale: pane.locale });
    if (answer.modal) openModal(pane, answer.modal);
    return answer;
  } catch (error) {
    localNote(pane, error.message);
    return null;
  }
}

// --- modals ----------------------------------------------------------------------------------------
function modalInputs(components) {
  const fields = [];
  for (const row of components || []) {
    if (row.type === 18) fields.push({ label: row.label, description: row.description, component: row.component });
    else if (row.type === 1) for (const c of row.components || []) fields.push({ label: c.label, component: c });
    else if (row.type === 10) fields.push({ text: row.content });
  }
  return fields;
}

async function fileBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function openModal(pane, modal) {
  const layer = pane.node.querySelector(".modal-layer");
  const opener = document.activeElement;
  const form = el("form", { class: "modal", dataset: { customId: modal.custom_id }, novalidate: true,
    role: "dialog", "aria-modal": "true", "aria-label": modal.title || "modal" });
  form.append(el("h2", { text: modal.title || "" }));
  const inputs = [];
  for (const field of modalInputs(modal.components)) {
    if (field.text !== undefined) { form.append(md(field.text)); continue; }
    const c = field.component;
    const wrap = el("div", { class: "field" });
    const required = c.required !== false;
    wrap.append(el("span", { class: "lbl" }, field.label || c.custom_id, required ? el("span", { class: "req", text: " *" }) : null));
    if (field.description) wrap.append(el("span", { class: "desc", text: field.description }));
    let input;
    if (c.type === 19) {
      // A File Upload: the client uploads the file, the submit carries its attachment id.
      input = el("input", { type: "file", name: c.custom_id, "aria-label": field.label || c.custom_id });
    } else if (c.type === 4) {
      const attrs = { name: c.custom_id, placeholder: c.placeholder || "", maxlength: c.max_length, "aria-label": field.label || c.custom_id };
      input = c.style === 2 ? el("textarea", attrs) : el("input", { ...attrs, type: "text" });
      input.value = c.value || "";
    } else {
      input = el("select", { name: c.custom_id, multiple: (c.max_values || 1) > 1, "aria-label": field.label || c.custom_id });
      if ((c.max_values || 1) <= 1) input.append(el("option", { value: "", text: c.placeholder || "Make a selection" }));
      for (const o of c.options || []) input.append(el("option", { value: o.value, selected: !!o.default }, o.label));
    }
    wrap.append(input, el("span", { class: "field-error" }));
    inputs.push({ c, input, wrap, required });
    form.append(wrap);
  }
  // Closing gives the focus back where it was (the button or composer that opened it), as a dialog does.
  const close = () => {
    layer.hidden = true;
    layer.replaceChildren();
    pane.modal = null;
    saveUrl();
    const back = opener && opener !== document.body && pane.node.contains(opener) && opener.isConnected
      ? opener : pane.node.querySelector(".command-input");
    back.focus();
  };
  // Escape closes; Tab and Shift+Tab go round the modal's own fields and buttons, never behind it.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); close(); return; }
    if (event.key !== "Tab") return;
    const stops = [...form.querySelectorAll("input, textarea, select, button")].filter((n) => !n.disabled);
    if (!stops.length) return;
    const first = stops[0], last = stops[stops.length - 1];
    if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  });
  form.append(el("footer", {},
    el("button", { type: "button", class: "modal-cancel", onclick: close }, "Cancel"),
    el("button", { type: "submit", class: "modal-submit" }, "Submit")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // The Discord client checks required fields and lengths before sending anything.
    let ok = true;
    const fields = {};
    const files = {};
    for (const { c, input, wrap, required } of inputs) {
      const error = wrap.querySelector(".field-error");
      let problem = "";
      if (c.type === 19) {
        const file = input.files[0];
        if (required && !file) problem = "This field is required.";
        else if (file) files[c.custom_id] = { filename: file.name, base64: await fileBase64(file) };
      } else if (c.type === 4) {
        const value = input.value;
        if (required && value.trim() === "") problem = "This field is required.";
        else if (value !== "" && c.min_length && value.length < c.min_length) problem = `Must be at least ${c.min_length} characters long.`;
        else if (c.max_length && value.length > c.max_length) problem = `Must be ${c.max_length} or fewer characters long.`;
        fields[c.custom_id] = value;
      } else {
        const values = [...input.selectedOptions].map((o) => o.value).filter((v) => v !== "");
        if (required && values.length < Math.max(1, c.min_values || 1)) problem = "This field is required.";
        fields[c.custom_id] = values.join(",");
      }
      error.textContent = problem;
      wrap.classList.toggle("invalid", !!problem);
      if (problem) ok = false;
    }
    if (!ok) return;
    close();
    await act(pane, { type: "modal", custom_id: modal.custom_id, fields, files });
  });
  layer.replaceChildren(form);
  layer.hidden = false;
  pane.modal = modal;
  saveUrl();
  const first = form.querySelector("input, textarea, select");
  (first || form.querySelector("button")).focus();
}

// --- the composer (slash commands) -------------------------------------------------------------------
function commandsFor(pane) {
  // contexts: 0 guild, 1 bot DM (the registered command's own list).
  const context = pane.place === "channel" ? 0 : 1;
  return state.commands.filter((c) => (c.contexts || [0]).includes(context));
}

function renderComposerHint(pane) {
  const input = pane.node.querySelector(".command-input");
  if (!pane.command) input.placeholder = pane.place === "channel" ? "Message #ladder: type / for a command" : "Message @ladderline: type / for a command";
}

// The list above the composer (commands, autocomplete choices). As in Discord's client: the first
// is selected, arrows move the selection, Enter or Tab takes it, Escape closes the list.
function showSuggestions(pane, entries, onPick) {
  const box = pane.node.querySelector(".suggestions");
  pane.pick = entries.length ? { entries, onPick, active: 0 } : null;
  box.replaceChildren(...entries.map((entry, i) => el("button", { type: "button", class: `suggestion${i === 0 ? " selected" : ""}`,
    role: "option", "aria-selected": i === 0 ? "true" : "false", tabindex: "-1",
    dataset: { name: entry.value }, onmousedown: (e) => { e.preventDefault(); onPick(entry, "click"); } },
    entry.label, entry.hint ? el("small", { text: entry.hint }) : null)));
}

function clearSuggestions(pane) {
  pane.pick = null;
  pane.node.querySelector(".suggestions").replaceChildren();
}

function moveSuggestion(pane, step) {
  const pick = pane.pick;
  pick.active = (pick.active + step + pick.entries.length) % pick.entries.length;
  pane.node.querySelectorAll(".suggestion").forEach((node, i) => {
    node.classList.toggle("selected", i === pick.active);
    node.setAttribute("aria-selected", i === pick.active ? "true" : "false");
    if (i === pick.active) node.scrollIntoView({ block: "nearest" });
  });
}

// Keys while a suggestion list is open; true when the key was the list's.
function suggestionKeys(pane, event) {
  if (!pane.pick) return false;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    moveSuggestion(pane, event.key === "ArrowDown" ? 1 : -1);
    return true;
  }
  if ((event.key === "Enter" || (event.key === "Tab" && !event.shiftKey)) && !event.isComposing) {
    event.preventDefault();
    const { entries, onPick, active } = pane.pick;
    onPick(entries[active], event.key);
    return true;
  }
  if (event.key === "Escape") {
    event.preventDefault();
    clearSuggestions(pane);
    return true;
  }
  return false;
}

// A command's subcommands, groups flattened as Discord's client lists them ("code create").
function subcommandsOf(command) {
  const found = [];
  for (const o of command.options || []) {
    if (o.type === OPTION.SUB_COMMAND) found.push({ path: o.name, description: o.description, options: o.options || [] });
    else if (o.type === OPTION.SUB_COMMAND_GROUP) {
      for (const s of o.options || []) found.push({ path: `${o.name} ${s.name}`, description: s.description, options: s.options || [] });
    }
  }
  return found;
}

// The options the composer fills: the chosen subcommand's, or the command's own.
function leafOptions(pane) {
  return pane.subcommand ? pane.subcommand.options : (pane.command.options || []);
}

function words(pane) {
  return pane.subcommand ? pane.subcommand.path.split(" ") : [];
}

function chooseCommand(pane, command) {
  pane.command = command;
  pane.subcommand = null;
  pane.values = {};
  const input = pane.node.querySelector(".command-input");
  input.value = "";
  input.placeholder = command.description || "";
  clearSuggestions(pane);
  const options = pane.node.querySelector(".options");
  options.replaceChildren(el("span", { class: "chip", text: `/${command.name}` }));
  const subs = subcommandsOf(command);
  if (subs.length) {
    // As in Discord's client: pick the subcommand first; its options follow.
    const fields = el("span", { class: "sub-options" });
    const picker = el("select", { class: "subcommand", "aria-label": "subcommand", title: "subcommand" },
      el("option", { value: "", text: "choose a subcommand" }),
      subs.map((sub) => el("option", { value: sub.path, text: `${sub.path} — ${sub.description || ""}` })));
    picker.addEventListener("change", () => {
      pane.subcommand = subs.find((sub) => sub.path === picker.value) || null;
      pane.values = {};
      fields.replaceChildren(...leafOptions(pane).map((option) => optionField(pane, command, option)));
      const first = fields.querySelector("input, select");
      if (first) first.focus();
    });
    options.append(el("label", { class: "opt" }, el("span", {}, "subcommand", el("span", { class: "req", text: " *" })), picker), fields);
  } else {
    for (const option of command.options || []) options.append(optionField(pane, command, option));
  }
  pane.node.querySelector(".actions").replaceChildren(
    el("button", { type: "submit", class: "send" }, "Send"),
    el("button", { type: "button", class: "cancel", onclick: () => resetComposer(pane) }, "Cancel"));
  const first = options.querySelector("input, select");
  (first || input).focus();
}

function optionField(pane, command, option) {
  const wrap = el("label", { class: "opt" }, el("span", {}, option.name, option.required ? el("span", { class: "req", text: " *" }) : null));
  let input;
  const attrs = { "data-option": option.name, title: option.description || "", "aria-label": option.name };
  if (option.choices && option.choices.length) {
    input = el("select", attrs, el("option", { value: "", text: "" }),
      option.choices.map((c) => el("option", { value: c.value, text: c.name })));
  } else if (option.type === OPTION.BOOLEAN) {
    input = el("select", attrs, el("option", { value: "" }), el("option", { value: "true", text: "True" }), el("option", { value: "false", text: "False" }));
  } else if (option.type === OPTION.USER) {
    input = el("select", attrs, el("option", { value: "" }), state.users.map((u) => el("option", { value: u.id, text: u.name })));
  } else {
    const type = option.type === OPTION.INTEGER || option.type === OPTION.NUMBER ? "number" : "text";
    input = el("input", { ...attrs, type, placeholder: option.description || "", autocomplete: "off" });
  }
  input.addEventListener("change", () => { pane.values[option.name] = input.dataset.value || input.value; });
  input.addEventListener("blur", () => { if (option.autocomplete) clearSuggestions(pane); });
  if (option.autocomplete) {
    let timer = null;
    input.addEventListener("input", () => {
      delete input.dataset.value;
      pane.values[option.name] = input.value;
      clearTimeout(timer);
      // Discord asks the bot as the user types (debounced); the ingress answers in-line.
      timer = setTimeout(async () => {
        const options = { ...collectValues(pane), [option.name]: input.value };
        const answer = await act(pane, { type: "autocomplete", name: command.name, words: words(pane), options, focused: option.name });
        if (!answer || !answer.choices) return;
        showSuggestions(pane, answer.choices.map((c) => ({ label: c.name, value: String(c.value), hint: String(c.value) })), (choice) => {
          input.value = choice.label;
          input.dataset.value = choice.value;
          pane.values[option.name] = choice.value;
          clearSuggestions(pane);
        });
      }, 200);
    });
  }
  wrap.append(input);
  return wrap;
}

function collectValues(pane) {
  const values = {};
  pane.node.querySelectorAll(".options [data-option]").forEach((input) => {
    const value = input.dataset.value || input.value;
    if (value !== "") values[input.dataset.option] = value;
  });
  return values;
}

function resetComposer(pane) {
  pane.command = null;
  pane.subcommand = null;
  pane.values = {};
  pane.node.querySelector(".options").replaceChildren();
  pane.node.querySelector(".actions").replaceChildren();
  pane.node.querySelector(".command-input").value = "";
  clearSuggestions(pane);
  renderComposerHint(pane);
}

function onComposerInput(pane) {
  if (pane.command) return;
  const input = pane.node.querySelector(".command-input");
  const text = input.value;
  if (!text.startsWith("/")) { clearSuggestions(pane); return; }
  const typed = text.slice(1).trim().split(/\s+/)[0].toLowerCase();
  const matches = commandsFor(pane).filter((c) => c.name.startsWith(typed));
  const exact = matches.find((c) => c.name === typed);
  if (exact && /\s$/.test(text)) { chooseCommand(pane, exact); return; }
  showSuggestions(pane, matches.map((c) => ({ label: `/${c.name}`, value: c.name, hint: c.description })),
    (entry) => chooseCommand(pane, state.commands.find((c) => c.name === entry.value)));
}

async function onComposerSubmit(pane, event) {
  event.preventDefault();
  if (!pane.command) {
    const text = pane.node.querySelector(".command-input").value.trim();
    const command = commandsFor(pane).find((c) => `/${c.name}` === text.split(/\s+/)[0]);
    if (command && !subcommandsOf(command).length && !(command.options || []).some((o) => o.required)) {
      await act(pane, { type: "command", name: command.name, options: {} });
      resetComposer(pane);
    } else if (command) {
      chooseCommand(pane, command);
    } else if (text) {
      localNote(pane, "The bot only answers slash commands here: type / and pick one.");
    }
    return;
  }
  if (subcommandsOf(pane.command).length && !pane.subcommand) { localNote(pane, "Choose a subcommand first."); return; }
  const values = collectValues(pane);
  const missing = leafOptions(pane).filter((o) => o.required && !(o.name in values)).map((o) => o.name);
  if (missing.length) { localNote(pane, `Fill the required option(s): ${missing.join(", ")}`); return; }
  const name = pane.command.name;
  const path = words(pane);
  resetComposer(pane);
  await act(pane, { type: "command", name, words: path, options: values });
}

// --- panes -------------------------------------------------------------------------------------------
// Discord client languages a user can pick (the ladder speaks the first five; the others show the
// English fallback), as Discord names its locales.
const CLIENT_LOCALES = [["en-US", "English, US"], ["es-419", "Español, LATAM"], ["ko", "한국어"], ["ru", "Русский"],
  ["zh-CN", "中文"], ["es-ES", "Español"], ["zh-TW", "繁體中文"], ["fr", "Français"], ["uk", "Українська"]];

function makePane(user) {
  const node = el("section", { class: "pane", dataset: { user, userName: userName(user) } },
    el("nav", { class: "sidebar" },
      el("div", { class: "server", text: "SC: Evo Complete" }),
      el("div", { class: "cat", text: "Text channels" }),
      el("button", { type: "button", class: "place", dataset: { place: "channel" } }, "# ladder"),
      el("div", { class: "threads" }),
      el("div", { class: "cat", text: "Direct messages" }),
      el("button", { type: "button", class: "place", dataset: { place: "dm" } }, "@ ladderline", el("span", { class: "badge" })),
      el("div", { class: "me" }, userName(user), el("small", { text: user }),
        el("label", { class: "locale" }, "Discord language",
          el("select", { class: "locale-select", "aria-label": `Discord language of ${userName(user)}` },
            ...CLIENT_LOCALES.map(([value, name]) => el("option", { value, text: name })))))),
    el("div", { class: "chat" },
      el("div", { class: "chat-head" }),
      el("div", { class: "messages", role: "log", "aria-live": "polite" }),
      el("form", { class: "composer" },
        el("div", { class: "suggestions" }),
        el("div", { class: "options" }),
        el("input", { class: "command-input", type: "text", autocomplete: "off", "aria-label": "Message" }),
        el("div", { class: "actions" }))),
    el("div", { class: "modal-layer", hidden: true }));
  const pane = { user, node, place: "channel", command: null, values: {}, seen: new Set(), pick: null, modal: null,
    locale: "en-US" };
  // The client's language: Discord sends it as `locale` with every interaction the user makes.
  node.querySelector(".locale-select").addEventListener("change", (event) => {
    pane.locale = event.target.value;
    saveUrl();
  });
  node.querySelectorAll(".place:not(.thread)").forEach((button) => button.addEventListener("click", () => {
    pane.place = placeKey(pane, button.dataset.place);
    if (button.dataset.place === "dm") button.querySelector(".badge").textContent = "";
    resetComposer(pane);
    renderPane(pane);
    saveUrl();
  }));
  node.querySelector(".composer").addEventListener("submit", (event) => onComposerSubmit(pane, event));
  node.querySelector(".command-input").addEventListener("input", () => onComposerInput(pane));
  node.querySelector(".composer").addEventListener("keydown", (event) => {
    if (suggestionKeys(pane, event)) return;
    if (event.key === "Escape") { resetComposer(pane); node.querySelector(".command-input").focus(); }
  });
  return pane;
}

// The page's state in its URL (?as=&with=&at=&at2=&lang=&lang2=&modal=&modal2=): a reload shows the
// same users, places, client languages and open modal (the playground keeps each user's open modal
// until it is submitted).
function saveUrl() {
  const params = new URLSearchParams();
  const a = document.getElementById("user-a").value, b = document.getElementById("user-b").value;
  if (a) params.set("as", a);
  if (b) params.set("with", b);
  state.panes.forEach((pane, i) => {
    const suffix = i ? "2" : "";
    if (pane.place !== "channel") params.set(`at${suffix}`, pane.place.startsWith("dm:") ? "dm" : pane.place);
    if (pane.locale !== "en-US") params.set(`lang${suffix}`, pane.locale);
    if (pane.modal) params.set(`modal${suffix}`, pane.modal.custom_id);
  });
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

async function restoreFromUrl() {
  const params = new URLSearchParams(location.search);
  const known = (id) => state.users.some((u) => u.id === id);
  if (known(params.get("as"))) document.getElementById("user-a").value = params.get("as");
  if (known(params.get("with"))) document.getElementById("user-b").value = params.get("with");
  layout();
  for (const [i, pane] of state.panes.entries()) {
    const suffix = i ? "2" : "";
    const lang = params.get(`lang${suffix}`);
    if (CLIENT_LOCALES.some(([value]) => value === lang)) {
      pane.locale = lang;
      pane.node.querySelector(".locale-select").value = lang;
    }
    const at = params.get(`at${suffix}`) || "";
    if (at === "dm" || /^(thread|room):/.test(at)) {
      pane.place = placeKey(pane, at);
      renderPane(pane);
    }
    const wanted = params.get(`modal${suffix}`);
    if (!wanted) continue;
    const answer = await fetch(`/api/modal/${encodeURIComponent(pane.user)}`);
    const modal = answer.ok ? await answer.json() : null;
    if (modal && modal.custom_id === wanted) openModal(pane, modal);
  }
  saveUrl();
}

function layout() {
  const a = document.getElementById("user-a").value;
  const b = document.getElementById("user-b").value;
  const wanted = [a, ...(b && b !== a ? [b] : [])];
  const old = new Map(state.panes.map((p) => [p.user, p]));
  state.panes = wanted.map((user) => old.get(user) || makePane(user));
  document.getElementById("panes").replaceChildren(...state.panes.map((p) => p.node));
  state.panes.forEach(renderPane);
  saveUrl();
}

// --- the event stream ----------------------------------------------------------------------------------
function onEvent(event) {
  if (event.type === "snapshot") {
    state.messages = new Map(event.messages.map((m) => [m.id, m]));
    state.notes = event.notes.filter((note) => note.place !== null && note.place !== undefined);
    document.getElementById("activity-list").replaceChildren(el("li", { class: "empty", text: "Nothing yet." }));
    document.getElementById("activity-count").textContent = "";
    event.notes.filter((note) => note.place === null || note.place === undefined).forEach(addActivity);
    state.timings = new Map(Object.entries(event.timings));
    state.threads = new Map((event.threads || []).map((t) => [t.id, t]));
    state.rooms = new Map((event.rooms || []).map((r) => [r.id, r]));
    state.panes.forEach(renderPane);
  } else if (event.type === "message") {
    state.messages.set(event.id, event);
    state.panes.forEach((pane) => upsert(pane, event));
  } else if (event.type === "delete") {
    state.messages.delete(event.id);
    document.querySelectorAll(`.msg[data-id="${event.id}"]`).forEach((n) => n.remove());
  } else if (event.type === "timing") {
    state.timings.set(event.interaction_id, event.timings);
    refreshTimings(event.interaction_id);
  } else if (event.type === "rejection" || event.type === "notice") {
    if (event.place !== null && event.place !== undefined) state.notes.push(event);
    showNote(event);
  } else if (event.type === "faults") {
    renderFaults(event);
  } else if (event.type === "room") {
    state.rooms.set(event.room.id, event.room);
    state.panes.forEach(renderThreads);
  } else if (event.type === "thread") {
    state.threads.set(event.thread.id, event.thread);
    state.panes.forEach((pane) => {
      renderThreads(pane);
      if (pane.place === `thread:${event.thread.id}`) renderPane(pane);
    });
  }
}

function connect() {
  const conn = document.getElementById("conn");
  const source = new EventSource("/api/events");
  source.onopen = () => { conn.textContent = "live"; conn.className = "conn live"; };
  source.onerror = () => { conn.textContent = "reconnecting…"; conn.className = "conn down"; };
  source.onmessage = (message) => onEvent(JSON.parse(message.data));
}

// --- the toolbar -------------------------------------------------------------------------------------------
// What the emulator will still do (a fault is listed until its last use), from the server's events.
function renderFaults(faults) {
  const list = document.getElementById("fault-state");
  const pending = faults.pending || [];
  list.replaceChildren(el("li", { text: `latency ${faults.latency_seconds} s` }),
    ...(pending.length ? pending.map((f) => el("li", { class: "pending", text: `${f.label}: ${f.left} of ${f.of} left` }))
      : [el("li", { class: "none", text: "no fault pending" })]));
}

async function toolbarAction(path, body) {
  try {
    return await post(path, body);
  } catch (error) {
    addActivity({ type: "rejection", text: error.message });
    return null;
  }
}

async function main() {
  const boot = await (await fetch("/api/bootstrap")).json();
  state.users = boot.users;
  state.commands = boot.commands;
  const a = document.getElementById("user-a"), b = document.getElementById("user-b");
  for (const user of state.users) {
    a.append(el("option", { value: user.id, text: user.name }));
    b.append(el("option", { value: user.id, text: user.name }));
  }
  a.addEventListener("change", layout);
  b.addEventListener("change", layout);
  if (boot.activation_code) {
    document.getElementById("code-hint").innerHTML = `activation code for /activate: <code>${escapeHtml(boot.activation_code)}</code>`;
  }
  document.getElementById("wave").addEventListener("click", () => toolbarAction("/api/wave", {}));
  document.getElementById("fault-inject").addEventListener("click", async () => {
    const faults = await toolbarAction("/api/faults", {
      kind: document.getElementById("fault-kind").value, target: document.getElementById("fault-target").value,
      scope: document.getElementById("fault-scope").value, times: Number(document.getElementById("fault-times").value) });
    if (faults) renderFaults(faults);
  });
  document.getElementById("fault-latency-apply").addEventListener("click", async () => {
    const faults = await toolbarAction("/api/faults", { kind: "latency", seconds: Number(document.getElementById("fault-latency").value) });
    if (faults) renderFaults(faults);
  });
  renderFaults(boot.faults);
  await restoreFromUrl();
  connect();
}

main();
