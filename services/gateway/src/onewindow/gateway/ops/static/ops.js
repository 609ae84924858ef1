// The operators' console. The bearer token lives in sessionStorage (gone with the tab)
// and travels only in the Authorization header; the live stream is read with fetch,
// because EventSource cannot send that header.
"use strict";

const TOKEN_KEY = "onewindow.ops.token";
const MAX_ROWS = 1000;
const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);
let stream = null;
let refresher = null;

function token() { return sessionStorage.getItem(TOKEN_KEY); }
function authorised() { return { Authorization: "Bearer " + token() }; }

function claims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part));
  } catch (e) { return {}; }
}

function showProblem(status, problem) {
  const box = $("problem");
  box.textContent = status + " " + (problem.title || "Error") + ": " + (problem.detail || "");
  box.dataset.status = String(status);
  box.hidden = false;
}

async function problemOf(response) {
  try { return await response.json(); } catch (e) { return { title: response.statusText }; }
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (stream) stream.abort();
  clearInterval(refresher);
  $("console").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  $("login").hidden = false;
  if (message) showProblem(message.status, message.problem);
}

function text(tag, value, cls) {
  const cell = document.createElement(tag);
  cell.textContent = value == null ? "" : String(value);
  if (cls) cell.className = cls;
  return cell;
}

function caseItem(c, extra) {
  const li = document.createElement("li");
  li.append(text("code", c.id), document.createTextNode(" " + c.status + " · " + extra));
  li.dataset.case = c.id;
  return li;
}

function idle(seconds) {
  if (seconds == null) return "?";
  if (seconds < 120) return seconds + " s";
  if (seconds < 7200) return Math.round(seconds / 60) + " min";
  return Math.round(seconds / 3600) + " h";
}

function renderOverview(o) {
  $("total").textContent = o.total + " in all";
  const body = $("by-status").tBodies[0];
  body.replaceChildren(...Object.entries(o.by_status).map(([status, n]) => {
    const row = document.createElement("tr");
    row.append(text("td", status), text("td", n, "num"));
    row.dataset.status = status;
    return row;
  }));
  $("stuck-after").textContent = idle(o.stuck_after_s);
  $("stuck-count").textContent = String(o.stuck_count);
  $("stuck").replaceChildren(...o.stuck.map((c) => caseItem(c, "idle " + idle(c.idle_s))));
  $("escalated-count").textContent = String(o.escalated_count);
  $("escalated").replaceChildren(...o.escalated.map((c) => caseItem(c, "due " + c.due_on)));
  const dead = $("dead-letters").tBodies[0];
  dead.replaceChildren(...Object.entries(o.dead_letters).map(([topic, n]) => {
    const row = document.createElement("tr");
    row.append(text("td", topic), text("td", n.waiting, "num" + (n.waiting ? " waiting" : "")),
      text("td", n.handled, "num"));
    row.dataset.topic = topic;
    return row;
  }));
}

async function refresh() {
  const response = await fetch("/ops/api/overview", { headers: authorised() });
  if (response.status === 401) {
    signOut({ status: 401, problem: await problemOf(response) });
    return false;
  }
  if (!response.ok) {
    showProblem(response.status, await problemOf(response));
    return false;
  }
  renderOverview(await response.json());
  return true;
}

function globToRegExp(glob) {
  const escaped = glob.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp("^" + escaped + "$", "i");
}

function passes(row) {
  const wantedCase = $("filter-case").value.trim();
  const wantedType = $("filter-type").value.trim();
  if (wantedCase && row.dataset.key !== wantedCase && row.dataset.correlation !== wantedCase) {
    return false;
  }
  if (wantedType) {
    const type = row.dataset.type;
    if (/[*?]/.test(wantedType)) return globToRegExp(wantedType).test(type);
    return type.toLowerCase().includes(wantedType.toLowerCase());
  }
  return true;
}

function applyFilters() {
  const rows = Array.from($("events").tBodies[0].rows);
  let shown = 0;
  for (const row of rows) {
    const visible = passes(row);
    row.classList.toggle("hidden", !visible);
    if (visible) shown += 1;
  }
  $("shown").textContent = shown + " of " + rows.length + " shown";
}

function addEvent(m) {
  const row = document.createElement("tr");
  row.className = "event fresh ctx-" + (m.context || "unknown");
  if (m.topic.endsWith(".dlq")) row.classList.add("dead-letter");
  row.dataset.key = m.key || "";
  row.dataset.correlation = m.correlation_id || "";
  row.dataset.type = m.type;
  row.dataset.id = m.id;
  row.append(
    text("td", m.time.slice(11, 23)),
    text("td", m.type, "type"),
    text("td", m.key),
    text("td", m.topic + " " + m.partition + "/" + m.offset),
    text("td", m.correlation_id),
    text("td", (m.causation_id || "").slice(0, 8)),
    text("td", m.summary, "summary"),
  );
  row.classList.toggle("hidden", !passes(row));
  const body = $("events").tBodies[0];
  body.prepend(row);
  while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
  applyFilters();
}

function setState(label, cls) {
  const state = $("stream-state");
  state.textContent = label;
  state.className = "state " + cls;
}

function handle(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return;
  const payload = JSON.parse(data.join("\n"));
  if (event === "ready") setState("live", "live");
  else if (event === "message") addEvent(payload);
}

async function follow() {
  stream = new AbortController();
  setState("connecting…", "");
  try {
    const response = await fetch("/ops/api/events", { headers: authorised(), signal: stream.signal });
    if (!response.ok) {
      showProblem(response.status, await problemOf(response));
      setState("stopped", "down");
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let end;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        handle(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
      }
    }
  } catch (error) {
    if (stream.signal.aborted) return;
  }
  setState("reconnecting…", "down");
  setTimeout(() => { if (token()) follow(); }, 2000);
}

async function open() {
  $("problem").hidden = true;
  const who = claims(token());
  if (!(await refresh())) return;
  $("login").hidden = true;
  $("console").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = (who.sub || "?") + " (" + (who.role || "?") + ")";
  clearInterval(refresher);
  refresher = setInterval(refresh, REFRESH_MS);
  follow();
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  open();
});
$("sign-out").addEventListener("click", () => signOut(null));
$("filters").addEventListener("input", applyFilters);
$("filters").addEventListener("submit", (event) => event.preventDefault());

if (token()) open(); else $("login").hidden = false;
