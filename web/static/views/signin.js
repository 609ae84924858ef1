// Sign-in. In development the gateway signs a development token for the role and account
// chosen here (`/dev/tokens`, which exists only when ONEWINDOW_ENV=development); anywhere
// else the token comes from the identity provider and is pasted (or handed over by it).

import { html, nothing } from "/web/vendor/lit-html/lit-html.js";
import { ApiProblem, get, post } from "../api.js";
import { t } from "../i18n.js";
import { session } from "../session.js";
import { app, problemBox } from "../ui.js";

const ROLES = ["applicant", "employer", "officer", "clerk"];
const state = { dev: null, role: "applicant", sub: "", uscc: "", passport: "", token: "", error: null };

/** Whether this gateway signs development tokens (null until asked). */
export async function devSignInAvailable() {
  if (state.dev === null) {
    try {
      await get("/dev/tokens");
      state.dev = true;
    } catch {
      state.dev = false;
    }
  }
  return state.dev;
}

/** A development token for `claims` (`role`, `sub`, and `uscc`/`passport` where they apply). */
export async function devToken(claims) {
  const body = { role: claims.role, sub: claims.sub };
  if (claims.uscc) body.uscc = claims.uscc;
  if (claims.passport) body.passport = claims.passport;
  return (await post("/dev/tokens", body)).token;
}

export function homeOf(role) {
  return { applicant: "#/cases", employer: "#/cases", officer: "#/queue", clerk: "#/precheck" }[role] || "#/cases";
}

async function signIn(event) {
  event.preventDefault();
  try {
    const token = state.dev
      ? await devToken({ role: state.role, sub: state.sub.trim(), uscc: state.role === "employer" ? state.uscc.trim() : "", passport: state.role === "applicant" ? state.passport.trim() : "" })
      : state.token.trim();
    session.signIn(token);
    state.error = null;
    app.navigate(homeOf(session.claims().role));
  } catch (error) {
    state.error = error instanceof ApiProblem ? error : new ApiProblem(400, { detail: error.message });
    app.rerender();
  }
}

function bind(key) {
  return (event) => {
    state[key] = event.target.value;
    app.rerender();
  };
}

export function signInView() {
  if (state.dev === null) devSignInAvailable().then(() => app.rerender());
  // One template whatever the state, so the heading (where focus starts) stays in place.
  return html`<h1 tabindex="-1">${state.dev ? t("sign_in_dev") : t("sign_in")}</h1>
    ${state.dev === null ? html`<p>${t("loading")}</p>` : signInForm()}`;
}

function signInForm() {
  return html`<form id="signin" class="narrow" @submit=${signIn}>
      ${problemBox(state.error)}
      ${state.dev
        ? html`<p class="hint">${t("sign_in_dev_hint")}</p>
            <div class="field"><label for="signin-role">${t("role")}</label>
              <select id="signin-role" @change=${bind("role")}>
                ${ROLES.map((r) => html`<option value=${r} ?selected=${state.role === r}>${t(`role_${r}`)}</option>`)}
              </select></div>
            <div class="field"><label for="signin-sub">${t("account")}</label>
              <input id="signin-sub" required autocomplete="username" .value=${state.sub} @input=${bind("sub")} /></div>
            ${state.role === "employer"
              ? html`<div class="field"><label for="signin-uscc">${t("uscc")}</label><input id="signin-uscc" required .value=${state.uscc} @input=${bind("uscc")} /></div>`
              : nothing}
            ${state.role === "applicant"
              ? html`<div class="field"><label for="signin-passport">${t("verified_passport")}</label><input id="signin-passport" .value=${state.passport} @input=${bind("passport")} /></div>`
              : nothing}`
        : html`<p class="hint">${t("sign_in_token_hint")}</p>
            <div class="field wide"><label for="signin-token">${t("token")}</label>
              <textarea id="signin-token" rows="4" required .value=${state.token} @input=${bind("token")}></textarea></div>`}
      <button type="submit" class="primary" id="signin-submit">${t("sign_in")}</button>
    </form>`;
}
