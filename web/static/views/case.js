// One case, live: its status and timeline (Server-Sent Events) to the decision, both
// permit numbers, every refusal reason with its legal basis and the appeal route; answer a
// supplement request with an upload; withdraw; request an extension once approved.

import { html, nothing } from "/web/vendor/lit-html/lit-html.js";
import { follow, get, post, upload } from "../api.js";
import { kindName, language, statusName, t, tOr } from "../i18n.js";
import { session } from "../session.js";
import { app, basisText, problemBox, reasonList } from "../ui.js";

const FINAL = new Set(["approved", "refused", "withdrawn"]);
const state = {
  id: null, view: null, error: null, live: false, stream: null, files: {}, registration: "",
  asking: false, message: "", busy: false, extension: { contract_end: "", result: null },
};

export function leaveCase() {
  state.stream?.abort();
  Object.assign(state, { id: null, view: null, stream: null, live: false });
}

async function open(id) {
  leaveCase();
  Object.assign(state, { id, error: null, files: {}, registration: "", asking: false, message: "", extension: { contract_end: "", result: null } });
  try {
    state.view = await get(`/v1/applications/${encodeURIComponent(id)}`);
  } catch (error) {
    state.error = error;
    app.rerender();
    return;
  }
  app.rerender();
  if (FINAL.has(state.view.status) && state.view.decision) return;
  state.live = true;
  state.stream = follow(
    id,
    (view) => {
      if (state.id !== id) return;
      state.view = view;
      app.rerender();
    },
    (error) => {
      if (state.id !== id) return;
      state.live = false;
      if (error && !state.view) state.error = error;
      app.rerender();
    },
  );
}

async function supply(event) {
  event.preventDefault();
  const asked = state.view.documents_requested?.documents || [];
  state.busy = true;
  app.rerender();
  try {
    const documents = [];
    for (const kind of asked.filter((k) => k !== "registration_number")) {
      const file = state.files[kind];
      if (file) documents.push({ kind, upload_id: (await upload(kind, file)).upload_id });
    }
    const body = { documents };
    if (asked.includes("registration_number") && state.registration.trim()) body.registration_number = state.registration.trim();
    await post(`/v1/applications/${encodeURIComponent(state.id)}/documents`, body);
    Object.assign(state, { message: t("documents_sent"), error: null, files: {} });
  } catch (error) {
    state.error = error;
  }
  state.busy = false;
  app.rerender();
}

async function withdraw() {
  try {
    await post(`/v1/applications/${encodeURIComponent(state.id)}/withdrawal`, {});
    Object.assign(state, { message: t("withdrawn_sent"), asking: false, error: null });
  } catch (error) {
    state.error = error;
  }
  app.rerender();
}

async function extend(event) {
  event.preventDefault();
  const number = state.view.work_permit.number;
  try {
    const accepted = await post(`/v1/work-permits/${encodeURIComponent(number)}/extensions`, { contract_end: state.extension.contract_end }, { idempotent: true });
    let result = await get(`/v1/extensions/${accepted.id}`);
    for (let i = 0; i < 40 && result.status === "pending"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      result = await get(`/v1/extensions/${accepted.id}`);
    }
    state.extension.result = result;
    state.error = null;
  } catch (error) {
    state.error = error;
  }
  app.rerender();
}

function permitRow(name, id, permit) {
  return html`<tr data-permit=${id}>
    <th scope="row">${name}</th>
    <td class="permit-status" data-status=${permit.status}>${tOr(`permit_${permit.status}`, permit.status)}${permit.under_review ? html` (${t("under_review")})` : nothing}</td>
    <td><strong id=${`${id}-number`}>${permit.number || "—"}</strong></td>
    <td>${permit.valid_until || "—"}</td>
  </tr>`;
}

function decisionBlock(view) {
  const decision = view.decision;
  if (!decision) return nothing;
  if (decision.outcome === "approved") {
    return html`<section class="decision approved" id="decision" aria-labelledby="decision-title">
      <h2 id="decision-title">${statusName("approved")}</h2>
      <p>${t("approved_both")}</p>
      <p>${t("work_permit")}: <strong id="approved-work-number">${view.work_permit.number}</strong> ·
         ${t("residence_permit")}: <strong id="approved-residence-number">${view.residence_permit.number}</strong></p>
      ${decision.legal_basis ? html`<p class="basis">${t("legal_basis")}: ${basisText(decision.legal_basis)}</p>` : nothing}
    </section>`;
  }
  if (decision.outcome === "refused") {
    const appeal = decision.appeal;
    return html`<section class="decision refused" id="decision" aria-labelledby="decision-title">
      <h2 id="decision-title">${t("refused_title")}</h2>
      ${reasonList(decision.reasons, { id: "refusal-reasons" })}
      ${decision.legal_basis ? html`<p class="basis">${t("legal_basis")}: ${basisText(decision.legal_basis)}</p>` : nothing}
      ${appeal ? html`<p id="appeal">${t("appeal", { route: language() === "zh" ? t("appeal_route") : appeal.route, date: appeal.deadline })}</p>` : nothing}
    </section>`;
  }
  return html`<section class="decision" id="decision"><h2>${statusName("withdrawn")}</h2><p>${t("withdrawn_title")}</p></section>`;
}

function supplementBlock(view) {
  const asked = view.documents_requested;
  if (view.status !== "awaiting_documents" || !asked) return nothing;
  return html`<form class="card" id="supplement" @submit=${supply} aria-labelledby="supplement-title">
    <h2 id="supplement-title">${t("supplement_title")}</h2>
    <p>${t("supplement_hint", { date: asked.respond_by })}</p>
    ${reasonList([...view.work_permit.reasons, ...view.residence_permit.reasons])}
    ${asked.documents.map((kind) =>
      kind === "registration_number"
        ? html`<div class="field"><label for="supply-registration">${kindName(kind)}</label>
            <input id="supply-registration" .value=${state.registration} @input=${(e) => (state.registration = e.target.value)} /></div>`
        : html`<div class="field"><label for=${`supply-${kind}`}>${t("choose_file", { kind: kindName(kind) })}</label>
            <input type="file" id=${`supply-${kind}`} accept="application/pdf,image/jpeg,image/png"
              @change=${(e) => (state.files[kind] = e.target.files?.[0])} /></div>`,
    )}
    <button type="submit" class="primary" id="send-documents" ?disabled=${state.busy}>${t("send_documents")}</button>
  </form>`;
}

function actions(view) {
  const role = session.claims()?.role;
  if (FINAL.has(view.status) || !["applicant", "employer"].includes(role)) return nothing;
  return html`<section class="card" aria-label=${t("withdraw")}>
    ${state.asking
      ? html`<p id="withdraw-question">${t("withdraw_question")}</p>
          <button type="button" class="danger" id="withdraw-confirm" @click=${withdraw}>${t("withdraw_confirm")}</button>
          <button type="button" class="secondary" @click=${() => { state.asking = false; app.rerender(); }}>${t("withdraw_cancel")}</button>`
      : html`<button type="button" class="secondary" id="withdraw" @click=${() => { state.asking = true; app.rerender(); }}>${t("withdraw")}</button>`}
  </section>`;
}

function extensionBlock(view) {
  if (view.status !== "approved" || !view.work_permit.number) return nothing;
  const result = state.extension.result;
  return html`<form class="card" id="extension" @submit=${extend} aria-labelledby="extension-title">
    <h2 id="extension-title">${t("extension_title")}</h2>
    <p class="hint">${t("extension_hint")}</p>
    <div class="field"><label for="extension-end">${t("new_contract_end")}</label>
      <input type="date" id="extension-end" required .value=${state.extension.contract_end} @input=${(e) => (state.extension.contract_end = e.target.value)} /></div>
    <button type="submit" class="secondary">${t("request_extension")}</button>
    ${result ? html`<p id="extension-result">${t("extension_status", { status: result.status })}</p>${reasonList(result.reasons)}` : nothing}
  </form>`;
}

export function caseView(id) {
  if (state.id !== id) open(id);
  // One template whatever the state, so the heading (where focus starts) stays in place.
  return html`<h1 tabindex="-1">${t("case_title", { id })}</h1>${caseBody()}`;
}

function caseBody() {
  const view = state.view;
  if (!view) return state.error ? problemBox(state.error) : html`<p>${t("loading")}</p>`;
  const deadline = view.deadline || {};
  return html`<p class="status-line">
      <span class="badge status-${view.status}" id="case-status" data-status=${view.status}>${statusName(view.status)}</span>
      <span class="live-state" id="live-state">${state.live ? t("live") : t("live_ended")}</span>
      ${deadline.due_on ? html`<span id="due-on">${t("decision_due", { date: deadline.due_on })} ${deadline.clock === "stopped" ? t("clock_stopped") : ""}</span>` : nothing}
    </p>
    ${problemBox(state.error)}
    ${state.message ? html`<p class="note" role="status">${state.message}</p>` : nothing}
    ${decisionBlock(view)}
    ${supplementBlock(view)}
    <table class="permits">
      <caption class="visually-hidden">${t("work_permit")} / ${t("residence_permit")}</caption>
      <thead><tr><th scope="col"></th><th scope="col">${t("status")}</th><th scope="col">${t("permit_number")}</th><th scope="col">${t("valid_until")}</th></tr></thead>
      <tbody>${permitRow(t("work_permit"), "work-permit", view.work_permit)}${permitRow(t("residence_permit"), "residence-permit", view.residence_permit)}</tbody>
    </table>
    ${actions(view)}
    ${extensionBlock(view)}
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">${t("timeline")}</h2>
      <ol class="timeline" id="timeline" aria-live="polite">
        ${view.timeline.map((e) => html`<li data-type=${e.type}><time datetime=${e.at}>${new Date(e.at).toLocaleString(language() === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai" })}</time> ${e.summary}</li>`)}
      </ol>
    </section>`;
}
