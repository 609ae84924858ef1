// The caller's cases (an applicant's own, and those its employer submitted naming its
// account; an employer's company's), newest first.

import { html, nothing } from "/web/vendor/lit-html/lit-html.js";
import { get } from "../api.js";
import { statusName, t } from "../i18n.js";
import { session } from "../session.js";
import { app, problemBox } from "../ui.js";

const state = { items: null, error: null, loading: false };

export function forgetCases() {
  Object.assign(state, { items: null, error: null, loading: false });
}

async function load() {
  state.loading = true;
  try {
    state.items = (await get("/v1/applications?limit=50")).items;
    state.error = null;
  } catch (error) {
    state.error = error;
  }
  state.loading = false;
  app.rerender();
}

export function casesView() {
  if (state.items === null && !state.loading && !state.error) load();
  const claims = session.claims() || {};
  const title = claims.role === "employer" ? t("company_cases_title", { uscc: claims.uscc }) : t("cases_title");
  return html`<h1 tabindex="-1">${title}</h1>
    ${problemBox(state.error)}
    <p><a class="button" href=${claims.role === "employer" ? "#/employee" : "#/apply"}>${claims.role === "employer" ? t("nav_new_employee") : t("nav_new")}</a>
       <button type="button" class="secondary" @click=${() => { forgetCases(); app.rerender(); }}>↻</button></p>
    ${state.items === null
      ? html`<p>${t("loading")}</p>`
      : state.items.length === 0
        ? html`<p>${t("no_cases")}</p>`
        : html`<table id="cases">
            <thead><tr><th scope="col">${t("case_id")}</th><th scope="col">${t("submitted")}</th><th scope="col">${t("status")}</th><th scope="col">${t("category_col")}</th><th scope="col">${t("permit_number")}</th></tr></thead>
            <tbody>
              ${state.items.map(
                (c) => html`<tr data-id=${c.id}>
                  <td><a href=${`#/case/${c.id}`}>${c.id}</a></td>
                  <td>${c.submitted_at ? new Date(c.submitted_at).toLocaleString() : "—"}</td>
                  <td><span class="badge status-${c.status}">${statusName(c.status)}</span></td>
                  <td>${c.category || "—"}</td>
                  <td>${c.work_permit?.number || nothing} ${c.residence_permit?.number ? html`/ ${c.residence_permit.number}` : nothing}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}`;
}
