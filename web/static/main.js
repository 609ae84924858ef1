// One Window's reference web app: the shell (header, language switch, navigation), the
// routes (#/…) and, with ?kiosk=1, the kiosk. Plain ES modules, templates by lit-html.

import { html, nothing, render } from "/web/vendor/lit-html/lit-html.js";
import { language, setLanguage, t } from "./i18n.js";
import { session } from "./session.js";
import { app } from "./ui.js";
import { applyView } from "./views/apply.js";
import { caseView, leaveCase } from "./views/case.js";
import { casesView, forgetCases } from "./views/cases.js";
import { kioskStep, kioskView, startKiosk } from "./views/kiosk.js";
import { forgetQueue, queueView, reviewView } from "./views/officer.js";
import { homeOf, signInView } from "./views/signin.js";

const root = document.getElementById("app");
const kiosk = new URLSearchParams(location.search).get("kiosk") === "1";
let lastRoute = "";

const ROUTES = [
  [/^#\/cases$/, ["applicant", "employer"], () => casesView()],
  [/^#\/apply$/, ["applicant"], () => applyView("apply")],
  [/^#\/employee$/, ["employer"], () => applyView("employee")],
  [/^#\/precheck$/, ["applicant", "employer", "clerk"], () => applyView("precheck")],
  [/^#\/case\/([\w-]+)$/, ["applicant", "employer", "officer", "operator"], (id) => caseView(id)],
  [/^#\/queue$/, ["officer"], () => queueView()],
  [/^#\/review\/([\w-]+)$/, ["officer"], (id) => reviewView(id)],
];

function navigation(role) {
  const links = {
    applicant: [["#/cases", t("nav_cases")], ["#/apply", t("nav_new")]],
    employer: [["#/cases", t("nav_company_cases")], ["#/employee", t("nav_new_employee")]],
    officer: [["#/queue", t("nav_queue")]],
    clerk: [["#/precheck", t("nav_precheck")]],
  }[role] || [];
  return html`<nav aria-label=${t("app_name")}>
    <ul>${links.map(([href, name]) => html`<li><a href=${href} aria-current=${location.hash === href ? "page" : nothing}>${name}</a></li>`)}</ul>
  </nav>`;
}

function toggleLanguage() {
  setLanguage(language() === "zh" ? "en" : "zh");
  app.rerender();
}

function signOut() {
  session.signOut();
  leaveCase();
  forgetCases();
  app.navigate("#/signin");
}

function page() {
  const claims = session.claims();
  const hash = location.hash || "#/";
  let content;
  if (!claims || hash === "#/signin") {
    content = signInView();
  } else {
    const route = ROUTES.find(([pattern]) => pattern.test(hash));
    if (!route || !route[1].includes(claims.role)) {
      queueMicrotask(() => app.navigate(homeOf(claims.role)));
      content = html`<p>${t("loading")}</p>`;
    } else {
      if (!hash.startsWith("#/case/")) leaveCase();
      content = route[2](...hash.match(route[0]).slice(1));
    }
  }
  return html`<a class="skip" href="#main" @click=${(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>${t("skip")}</a>
    <header class="top">
      <p class="brand"><span class="brand-name">${t("app_name")}</span> <small>${t("app_tagline")}</small></p>
      ${claims ? navigation(claims.role) : nothing}
      <div class="who">
        ${claims ? html`<span id="who">${t("signed_in_as", { sub: claims.sub, role: t(`role_${claims.role}`) })}</span>
          <button type="button" class="secondary" id="sign-out" @click=${signOut}>${t("sign_out")}</button>` : nothing}
        <button type="button" class="lang" id="lang" lang=${language() === "zh" ? "en" : "zh-CN"} aria-label=${t("switch_lang_label")} @click=${toggleLanguage}>${t("switch_lang")}</button>
      </div>
    </header>
    <main id="main" tabindex="-1">${content}</main>`;
}

app.rerender = () => {
  const route = kiosk ? `kiosk:${kioskStep()}` : location.hash;
  const arrived = route !== lastRoute;
  if (arrived && route === "#/cases") forgetCases(); // lists are read afresh on arrival
  if (arrived && route === "#/queue") forgetQueue();
  render(kiosk ? kioskView() : page(), root);
  if (arrived && (kiosk ? `kiosk:${kioskStep()}` : location.hash) === route) {
    lastRoute = route;
    // A new screen: move focus to its heading, so keyboard and screen-reader users start there.
    queueMicrotask(() => document.querySelector("main h1")?.focus());
  }
};

setLanguage(language());
window.addEventListener("hashchange", () => app.rerender());
if (kiosk) startKiosk();
app.rerender();
