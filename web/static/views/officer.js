// The officer's workbench: the review queue, then each case's evidence side by side
// (registry records, uploads to verify, points and flags) and a decision with a reason;
// the legal basis is the policy's, named by the reasons under review.

import { html, nothing } from "/web/vendor/lit-html/lit-html.js";
import { download, get, post } from "../api.js";
import { kindName, statusName, t, tOr } from "../i18n.js";
import { app, basisText, pointsTable, problemBox, reasonList } from "../ui.js";

const KINDS = ["degree", "criminal_record", "health", "talent_recognition"];
const queue = { items: null, error: null, loading: false };
const review = { id: null, view: null, evidence: null, error: null, decisions: {}, message: "", busy: false };

export function forgetQueue() {
  Object.assign(queue, { items: null, error: null, loading: false });
}

async function loadQueue() {
  queue.loading = true;
  try {
    queue.items = (await get("/v1/reviews")).items;
    queue.error = null;
  } catch (error) {
    queue.error = error;
  }
  queue.loading = false;
  app.rerender();
}

function flagNames(flags) {
  return (flags || []).map((f) => tOr(`flag_${f}`, f)).join(", ");
}

function underReview(view) {
  return [
    ["work", view.work_permit],
    ["residence", view.residence_permit],
  ].filter(([, permit]) => permit.under_review || (permit.status === "pending" && permit.reasons.length));
}

export function queueView() {
  if (queue.items === null && !queue.loading && !queue.error) loadQueue();
  return html`<h1 tabindex="-1">${t("queue_title")}</h1>
    ${problemBox(queue.error)}
    <p><button type="button" class="secondary" @click=${() => { forgetQueue(); app.rerender(); }}>↻</button></p>
    ${queue.items === null
      ? html`<p>${t("loading")}</p>`
      : queue.items.length === 0
        ? html`<p id="queue-empty">${t("queue_empty")}</p>`
        : html`<table id="queue">
            <thead><tr><th scope="col">${t("case_id")}</th><th scope="col">${t("submitted")}</th><th scope="col">${t("points")}</th><th scope="col">${t("flags")}</th><th scope="col">${t("review")}</th></tr></thead>
            <tbody>
              ${queue.items.map(
                (c) => html`<tr data-id=${c.id}>
                  <td><a href=${`#/review/${c.id}`}>${c.id}</a></td>
                  <td>${c.submitted_at ? new Date(c.submitted_at).toLocaleString() : "—"}</td>
                  <td>${c.category ? `${c.category} · ${c.points}` : "—"}</td>
                  <td>${flagNames(c.flags) || "—"}</td>
                  <td>${underReview(c).map(([side, permit]) => html`<div>${t(`${side}_permit`)}: ${permit.reasons.map((r) => r.code).join(", ")}</div>`)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}`;
}

async function openReview(id) {
  Object.assign(review, { id, view: null, evidence: null, error: null, decisions: {}, message: "" });
  try {
    const [view, evidence] = await Promise.all([
      get(`/v1/applications/${encodeURIComponent(id)}`),
      get(`/v1/applications/${encodeURIComponent(id)}/evidence`).catch(() => null),
    ]);
    Object.assign(review, { view, evidence });
    for (const [side] of underReview(view)) review.decisions[side] = { decision: "approve", reason: "", documents: [] };
  } catch (error) {
    review.error = error;
  }
  app.rerender();
}

async function decide(event) {
  event.preventDefault();
  review.busy = true;
  app.rerender();
  try {
    for (const [side, choice] of Object.entries(review.decisions)) {
      await post(`/v1/applications/${encodeURIComponent(review.id)}/reviews`, { permit: side, ...choice });
    }
    review.message = t("decision_recorded");
    review.error = null;
    forgetQueue();
  } catch (error) {
    review.error = error;
  }
  review.busy = false;
  app.rerender();
}

function uploadsOf(view) {
  const reasons = [...view.work_permit.reasons, ...view.residence_permit.reasons];
  const seen = new Map();
  for (const reason of reasons) for (const u of reason.uploads || []) seen.set(u.upload_id, u);
  return [...seen.values()];
}

function registryColumn(evidence) {
  if (!evidence) return html`<p>—</p>`;
  return html`
    <table id="evidence-certificates">
      <caption>${t("on_file")}</caption>
      <thead><tr><th scope="col">${t("kind")}</th><th scope="col">${t("registry_id")}</th><th scope="col">${t("valid_until")}</th></tr></thead>
      <tbody>
        ${evidence.certificates.map(
          (c) => html`<tr data-registry-id=${c.id}><td>${kindName(c.kind)}${c.details?.level ? ` (${c.details.level})` : ""}<br /><small>${c.issuer || ""} ${c.issued_on}</small></td><td><code>${c.id}</code></td><td>${c.valid_until || "—"}</td></tr>`,
        )}
      </tbody>
    </table>
    ${evidence.employer ? html`<p>${t("employer")}: ${evidence.employer.name} (${evidence.employer.uscc}), ${t("valid_until")} ${evidence.employer.licence_valid_until}</p>` : nothing}
    ${evidence.watchlist ? html`<p class="flag">${t("watchlist_entry", { note: evidence.watchlist.note })}</p>` : nothing}
    <h3>${t("cited_in_application")}</h3>
    <ul>${evidence.cited.map((d) => html`<li>${kindName(d.kind)}: <code>${d.registry_id || d.upload_id}</code></li>`)}</ul>`;
}

function uploadsColumn(view) {
  const uploads = uploadsOf(view);
  if (!uploads.length) return html`<p>${t("no_uploads")}</p>`;
  return html`<ul id="evidence-uploads">
    ${uploads.map(
      (u) => html`<li data-upload-id=${u.upload_id}>
        <button type="button" class="secondary download" @click=${() => download(u.href, `${u.kind}-${u.upload_id}`)}>${t("download", { kind: kindName(u.kind) })}</button>
        <code>${u.upload_id}</code>
        ${u.check ? html`<p class="hint">${t("check_hint", { check: u.check })}</p>` : nothing}
      </li>`,
    )}
  </ul>`;
}

function decisionFieldset(side, permit) {
  const choice = review.decisions[side];
  const bases = [...new Set(permit.reasons.map((r) => basisText(r.legal_basis)).filter(Boolean))];
  const name = `decision-${side}`;
  return html`<fieldset class="decide" data-side=${side}>
    <legend>${t("decide_side", { side: t(`${side}_permit`) })}</legend>
    ${reasonList(permit.reasons)}
    ${["approve", "refuse", "request_documents"].map(
      (d) => html`<div class="check"><input type="radio" name=${name} id=${`${name}-${d}`} value=${d} .checked=${choice.decision === d}
          @change=${() => { choice.decision = d; app.rerender(); }} /><label for=${`${name}-${d}`}>${t(d)}</label></div>`,
    )}
    <div class="field wide"><label for=${`${name}-reason`}>${t("decision_reason")}</label>
      <textarea id=${`${name}-reason`} rows="3" .value=${choice.reason} @input=${(e) => (choice.reason = e.target.value)}></textarea></div>
    ${choice.decision === "request_documents"
      ? html`<fieldset class="inner"><legend>${t("decision_documents")}</legend>
          ${KINDS.map(
            (k) => html`<div class="check"><input type="checkbox" id=${`${name}-doc-${k}`} .checked=${choice.documents.includes(k)}
                @change=${(e) => { choice.documents = e.target.checked ? [...choice.documents, k] : choice.documents.filter((x) => x !== k); }} />
              <label for=${`${name}-doc-${k}`}>${kindName(k)}</label></div>`,
          )}</fieldset>`
      : nothing}
    ${bases.length ? html`<p class="basis" id=${`${name}-basis`}>${t("legal_basis_filled", { basis: bases.join("; ") })}</p>` : nothing}
  </fieldset>`;
}

export function reviewView(id) {
  if (review.id !== id) openReview(id);
  // One template whatever the state, so the heading (where focus starts) stays in place.
  return html`<h1 tabindex="-1">${t("review_title", { id })}</h1>${reviewBody()}`;
}

function reviewBody() {
  const view = review.view;
  if (!view) return review.error ? problemBox(review.error) : html`<p>${t("loading")}</p>`;
  const sides = underReview(view);
  const classification = view.classification;
  return html`<p><span class="badge status-${view.status}" id="review-status">${statusName(view.status)}</span></p>
    ${problemBox(review.error)}
    ${review.message ? html`<p class="note" role="status" id="review-message">${review.message}</p>` : nothing}
    <div class="evidence">
      <section aria-labelledby="ev-registry"><h2 id="ev-registry">${t("evidence_registry")}</h2>${registryColumn(review.evidence)}</section>
      <section aria-labelledby="ev-uploads"><h2 id="ev-uploads">${t("evidence_uploads")}</h2>${uploadsColumn(view)}</section>
      <section aria-labelledby="ev-points"><h2 id="ev-points">${t("evidence_points")}</h2>
        <p>${t("flags")}: <span id="review-flags">${flagNames(view.flags) || "—"}</span></p>
        ${classification ? pointsTable({ total: classification.points, factors: classification.factors }, t("category", { category: classification.category })) : nothing}
      </section>
    </div>
    ${sides.length && !review.message
      ? html`<form id="decide" @submit=${decide} aria-label=${t("decide")}>
          ${sides.map(([side, permit]) => decisionFieldset(side, permit))}
          <button type="submit" class="primary" id="record-decision" ?disabled=${review.busy}>${t("record_decision")}</button>
        </form>`
      : nothing}
    <p><a href="#/queue">${t("nav_queue")}</a></p>`;
}
