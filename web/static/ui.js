// Pieces every screen shares: the re-render hook, problems, reasons with their legal
// basis, the points table and the pre-check's explanation.

import { html, nothing } from "/web/vendor/lit-html/lit-html.js";
import { kindName, reasonText, t, tOr } from "./i18n.js";

export const app = {
  rerender: () => {},
  navigate(hash) {
    if (location.hash === hash) app.rerender();
    else location.hash = hash;
  },
};

/** A problem (ApiProblem or Error) as an alert. */
export function problemBox(error) {
  if (!error) return nothing;
  const errors = error.errors || [];
  return html`<div class="problem" role="alert" data-status=${error.status || ""}>
    <p><strong>${t("problem")}</strong>${error.status ? html` (${error.status})` : nothing}: ${error.message}</p>
    ${errors.length
      ? html`<p>${t("fix_errors")}</p>
          <ul>
            ${errors.map((e) => html`<li><code>${(e.loc || []).slice(1).join(".")}</code>: ${e.msg}</li>`)}
          </ul>`
      : nothing}
  </div>`;
}

export function basisText(basis) {
  return basis ? `${basis.policy} ${basis.article}` : "";
}

/** Reasons in the current language, each with its legal basis. */
export function reasonList(reasons, { id } = {}) {
  if (!reasons?.length) return nothing;
  return html`<ul class="reasons" id=${id || nothing}>
    ${reasons.map(
      (r) => html`<li data-code=${r.code}>
        <span class="reason-text">${reasonText(r)}</span>
        ${r.legal_basis
          ? html`<span class="basis">${t("legal_basis")}: <span class="basis-ref">${basisText(r.legal_basis)}</span></span>`
          : nothing}
        ${r.code === "not_eligible_category" ? html`<span class="hint">${t("hint_apply_separately")}</span>` : nothing}
      </li>`,
    )}
  </ul>`;
}

export function factorName(factor) {
  return tOr(`factor_${factor}`, factor.replace(/_/g, " "));
}

/** The points table: every factor, the value that scored, its points. */
export function pointsTable(points, caption) {
  if (!points) return nothing;
  return html`<table class="points">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">${t("factor")}</th><th scope="col">${t("value")}</th><th scope="col" class="num">${t("points")}</th></tr></thead>
    <tbody>
      ${points.factors.map(
        (f) => html`<tr data-factor=${f.factor}><th scope="row">${factorName(f.factor)}</th><td>${f.value}</td><td class="num">${f.points}</td></tr>`,
      )}
    </tbody>
    <tfoot><tr><th scope="row" colspan="2">${t("total")}</th><td class="num total">${points.total}</td></tr></tfoot>
  </table>`;
}

/**
 * The pre-check's explanation: the outcome, category and points, what the registry has,
 * what is missing and why (citing what is on file), every refusal reason with its legal
 * basis, and the due date.
 */
export function precheckPanel(result, { onCite, filled } = {}) {
  if (!result) return nothing;
  const criterion = result.points.direct_criterion;
  return html`<section class="precheck" id="precheck" tabindex="-1" aria-labelledby="precheck-title" data-outcome=${result.outcome}>
    <h2 id="precheck-title">${t("precheck_result")}</h2>
    <p class="outcome outcome-${result.outcome}" id="precheck-outcome">${t(`outcome_${result.outcome}`)}</p>
    ${filled?.length ? html`<p class="filled" id="precheck-filled">${t("filled", { items: filled.join(", ") })}</p>` : nothing}
    <p class="category">
      <strong id="precheck-category">${t("category", { category: result.category })}</strong>
      · <span id="precheck-points">${t("points_total", { points: result.points.total })}</span>
      ${criterion ? html` · ${t("direct_criterion", { criterion: t(`criterion_${criterion}`) })}` : nothing}
    </p>
    ${result.reasons.length
      ? html`<h3>${t("reasons")}</h3>${reasonList(result.reasons, { id: "precheck-reasons" })}`
      : nothing}
    ${result.missing.length
      ? html`<h3>${t("missing")}</h3>
          <ul id="precheck-missing">
            ${result.missing.map(
              (m) => html`<li data-kind=${m.kind}>
                <strong>${kindName(m.kind)}</strong>: ${reasonText({ ...m, message_en: m.message_en || m.why })}
                ${m.on_file
                  ? html`<br /><span>${t("missing_on_file", { id: m.on_file })}</span>
                      ${onCite ? html`<button type="button" class="secondary" @click=${() => onCite(m.kind, m.on_file)}>${t("cite")} ${m.on_file}</button>` : nothing}`
                  : nothing}
              </li>`,
            )}
          </ul>`
      : nothing}
    ${result.review.length
      ? html`<h3>${t("review")}</h3>${reasonList(result.review, { id: "precheck-review" })}`
      : nothing}
    ${pointsTable(result.points, `${t("category", { category: result.category })} · ${t("points_total", { points: result.points.total })}`)}
    <h3>${t("on_file")}</h3>
    ${result.registry_documents.length
      ? html`<table id="precheck-registry">
          <thead><tr><th scope="col">${t("kind")}</th><th scope="col">${t("registry_id")}</th><th scope="col">${t("valid_until")}</th><th scope="col">${t("in_force")}</th><th scope="col">${t("cited")}</th></tr></thead>
          <tbody>
            ${result.registry_documents.map(
              (d) => html`<tr data-registry-id=${d.registry_id}>
                <td>${kindName(d.kind)}${d.details?.level ? html` (${t(`education_${d.details.level}`)})` : nothing}</td>
                <td><code>${d.registry_id}</code></td><td>${d.valid_until || "—"}</td>
                <td>${d.in_force ? t("yes") : t("no")}</td><td>${d.cited ? t("yes") : t("no")}</td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : html`<p>${t("on_file_none")}</p>`}
    <p class="due" id="precheck-due">${t("due", { date: result.earliest_decision_on })}</p>
  </section>`;
}
