// The kiosk (?kiosk=1): large touch targets, one question per screen, Chinese and English
// on every screen, an idle timeout that wipes the session, and a printable receipt with
// the case id as a QR code (made here, by the vendored uqr) and the decision's due date.

import { html, nothing, svg } from "/web/vendor/lit-html/lit-html.js";
import { encode } from "/web/vendor/uqr/index.mjs";
import { ApiProblem, get, post } from "../api.js";
import { language, setLanguage, t } from "../i18n.js";
import { session } from "../session.js";
import { app, precheckPanel, problemBox } from "../ui.js";
import { blankForm, precheckAndFill, readMrz, readPhoto, toBody } from "./apply.js";
import { devSignInAvailable, devToken } from "./signin.js";

const params = new URLSearchParams(location.search);
const IDLE_S = Number(params.get("idle")) || 120;

// One question per screen: the form's key, its label, and how it is asked.
const QUESTIONS = [
  { key: "email", label: "kiosk_email", type: "email" },
  { key: "uscc", label: "employer_uscc" },
  { key: "title", label: "title" },
  { key: "salary", label: "salary", inputmode: "numeric" },
  { key: "contract_start", label: "contract_start", type: "date" },
  { key: "contract_end", label: "contract_end", type: "date" },
  { key: "months", label: "months", inputmode: "numeric" },
  { key: "education", label: "education", choices: ["doctorate", "master", "bachelor", "other"].map((e) => [e, `education_${e}`]) },
  { key: "experience", label: "experience", inputmode: "numeric" },
  { key: "hsk", label: "hsk", choices: ["0", "1", "2", "3", "4", "5", "6"].map((h) => [h, null]) },
  { key: "address", label: "address" },
  { key: "registration", label: "registration_number", optional: true },
];
const STEPS = ["welcome", "signin", "passport", "confirm", ...QUESTIONS.map((q) => q.key), "precheck", "receipt"];

const kiosk = {};
let idleTimer = null;

function reset(note = "") {
  Object.assign(kiosk, {
    step: "welcome", form: blankForm(), sub: "", token: "", note, error: null,
    result: null, filled: [], receipt: null, busy: false,
  });
}

export function kioskStep() {
  return kiosk.step;
}

function wipe() {
  session.signOut();
  reset(t("kiosk_idle"));
  app.rerender();
}

function touched() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(wipe, IDLE_S * 1000);
}

export function startKiosk() {
  reset();
  document.body.classList.add("kiosk");
  for (const event of ["pointerdown", "keydown", "input"]) document.addEventListener(event, touched, { passive: true });
  touched();
}

function go(step) {
  kiosk.step = step;
  kiosk.error = null;
  app.rerender();
}

function next() {
  go(STEPS[STEPS.indexOf(kiosk.step) + 1]);
}

function back() {
  go(STEPS[Math.max(0, STEPS.indexOf(kiosk.step) - 1)]);
}

function chooseLanguage(lang) {
  setLanguage(lang);
  app.rerender();
}

async function signIn(event) {
  event.preventDefault();
  try {
    const token = (await devSignInAvailable()) ? await devToken({ role: "applicant", sub: kiosk.sub.trim() }) : kiosk.token.trim();
    session.signIn(token);
    next();
  } catch (error) {
    kiosk.error = error instanceof ApiProblem ? error : new ApiProblem(400, { detail: error.message });
    app.rerender();
  }
}

function readPassport(event) {
  event.preventDefault();
  try {
    readMrz(kiosk.form);
    next();
  } catch (error) {
    kiosk.error = new ApiProblem(422, { detail: t("mrz_bad", { error: error.message }) });
    app.rerender();
  }
}

async function readImage(event) {
  const file = event.target.files?.[0];
  if (!file) return;
  kiosk.busy = true;
  kiosk.error = null;
  app.rerender();
  try {
    await readPhoto(kiosk.form, file);
    kiosk.busy = false;
    next();
  } catch (error) {
    kiosk.busy = false;
    kiosk.error = error;
    app.rerender();
  }
}

async function precheck() {
  kiosk.busy = true;
  app.rerender();
  try {
    const { result, filled } = await precheckAndFill(kiosk.form, { channel: "kiosk", language: language() });
    Object.assign(kiosk, { result, filled, error: null });
  } catch (error) {
    kiosk.error = error;
  }
  kiosk.busy = false;
  app.rerender();
}

async function submit() {
  kiosk.busy = true;
  app.rerender();
  try {
    const body = toBody(kiosk.form, { channel: "kiosk", language: language() });
    const accepted = await post("/v1/applications", body, { idempotent: true });
    let due = null;
    for (let i = 0; i < 20 && !due; i++) {
      const view = await get(`/v1/applications/${accepted.id}`).catch(() => null);
      due = view?.deadline?.due_on || null;
      if (!due) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    kiosk.receipt = { id: accepted.id, due: due || kiosk.result.earliest_decision_on };
    kiosk.busy = false;
    go("receipt");
  } catch (error) {
    kiosk.error = error;
    kiosk.busy = false;
    app.rerender();
  }
}

/** The QR code of `text` as SVG, drawn from uqr's module matrix. */
export function qrCode(text, label) {
  const { data } = encode(text, { ecc: "M", border: 2 });
  const size = data.length;
  let path = "";
  data.forEach((row, y) => row.forEach((dark, x) => { if (dark) path += `M${x} ${y}h1v1h-1z`; }));
  return svg`<svg class="qr" id="receipt-qr" role="img" aria-label=${label} viewBox=${`0 0 ${size} ${size}`} width="240" height="240" shape-rendering="crispEdges">
    <rect width=${size} height=${size} fill="#fff"></rect><path d=${path} fill="#000"></path></svg>`;
}

function frame(title, body, { counter = true } = {}) {
  const index = STEPS.indexOf(kiosk.step);
  return html`<header class="top kiosk-top">
      <p class="brand"><span class="brand-name">${t("app_name")}</span></p>
      <div class="who">
        ${kiosk.step !== "welcome" ? html`<button type="button" class="secondary" id="kiosk-start-over" @click=${() => { session.signOut(); reset(); app.rerender(); }}>${t("kiosk_start_over")}</button>` : nothing}
        <button type="button" class="lang" id="lang" lang=${language() === "zh" ? "en" : "zh-CN"} aria-label=${t("switch_lang_label")} @click=${() => chooseLanguage(language() === "zh" ? "en" : "zh")}>${t("switch_lang")}</button>
      </div>
    </header>
    <main id="main" tabindex="-1" class="kiosk-main" data-step=${kiosk.step}>
      ${counter && index > 0 && kiosk.step !== "receipt" ? html`<p class="step">${t("kiosk_step", { n: index, total: STEPS.length - 2 })}</p>` : nothing}
      <h1 tabindex="-1">${title}</h1>
      ${problemBox(kiosk.error)}
      ${body}
    </main>`;
}

function navigation({ nextLabel = t("kiosk_next"), skip = false, disabled = false } = {}) {
  return html`<div class="kiosk-actions">
    <button type="button" class="secondary" id="kiosk-back" @click=${back}>${t("kiosk_back")}</button>
    ${skip ? html`<button type="button" class="secondary" id="kiosk-skip" @click=${next}>${t("kiosk_skip")}</button>` : nothing}
    <button type="submit" class="primary" id="kiosk-next" ?disabled=${disabled}>${nextLabel}</button>
  </div>`;
}

function question(q) {
  const form = kiosk.form;
  const onSubmit = (event) => {
    event.preventDefault();
    if (!q.optional && !String(form[q.key]).trim()) return;
    next();
  };
  const input = q.choices
    ? html`<fieldset class="choices"><legend class="visually-hidden">${t(q.label)}</legend>
        ${q.choices.map(([value, label]) => html`<div class="choice"><input type="radio" name=${q.key} id=${`k-${q.key}-${value}`} value=${value}
            .checked=${form[q.key] === value} @change=${() => { form[q.key] = value; app.rerender(); }} />
          <label for=${`k-${q.key}-${value}`}>${label ? t(label) : value}</label></div>`)}
      </fieldset>`
    : html`<label for=${`k-${q.key}`} class="visually-hidden">${t(q.label)}</label>
        <input id=${`k-${q.key}`} class="big" type=${q.type || "text"} inputmode=${q.inputmode || nothing} .value=${form[q.key]}
          ?required=${!q.optional} autocomplete="off" @input=${(e) => { form[q.key] = e.target.value; }} />`;
  return frame(t(q.label), html`<form id="kiosk-form" @submit=${onSubmit}>${input}${navigation({ skip: q.optional })}</form>`);
}

export function kioskView() {
  const form = kiosk.form;
  switch (kiosk.step) {
    case "welcome":
      return frame(
        t("kiosk_welcome"),
        html`${kiosk.note ? html`<p class="note" role="status" id="kiosk-note">${kiosk.note}</p>` : nothing}
          <p class="lead">${t("kiosk_welcome_hint")}</p>
          <div class="kiosk-actions">
            <button type="button" class="big-choice" lang="zh-CN" id="kiosk-zh" aria-pressed=${language() === "zh"} @click=${() => chooseLanguage("zh")}>中文</button>
            <button type="button" class="big-choice" lang="en" id="kiosk-en" aria-pressed=${language() === "en"} @click=${() => chooseLanguage("en")}>English</button>
          </div>
          <div class="kiosk-actions"><button type="button" class="primary" id="kiosk-start" @click=${() => { kiosk.note = ""; next(); }}>${t("kiosk_start")}</button></div>`,
        { counter: false },
      );
    case "signin":
      return frame(
        t("kiosk_signin"),
        html`<form id="kiosk-form" @submit=${signIn}>
          <label for="k-sub">${t("account")}</label>
          <input id="k-sub" class="big" required autocomplete="off" .value=${kiosk.sub} @input=${(e) => (kiosk.sub = e.target.value)} />
          ${navigation()}
        </form>`,
      );
    case "passport":
      return frame(
        t("kiosk_passport"),
        html`<div class="field wide">
            <label for="k-scan">${t("scan_passport")}</label>
            <input type="file" id="k-scan" class="big" accept="image/jpeg,image/png" capture="environment" @change=${readImage} />
            ${kiosk.busy ? html`<p role="status">${t("reading_passport")}</p>` : nothing}
          </div>
          <form id="kiosk-form" @submit=${readPassport}>
          <p class="lead">${t("kiosk_passport_hint")}</p>
          <label for="k-mrz1">${t("mrz_line1")}</label>
          <input id="k-mrz1" class="big mrz" spellcheck="false" autocomplete="off" .value=${form.mrz1} @input=${(e) => (form.mrz1 = e.target.value)} />
          <label for="k-mrz2">${t("mrz_line2")}</label>
          <input id="k-mrz2" class="big mrz" spellcheck="false" autocomplete="off" .value=${form.mrz2} @input=${(e) => (form.mrz2 = e.target.value)} />
          ${navigation()}
        </form>`,
      );
    case "confirm":
      return frame(
        t("kiosk_confirm"),
        html`<dl class="confirm" id="kiosk-read">
            <dt>${t("surname")}</dt><dd>${form.surname}</dd>
            <dt>${t("given_names")}</dt><dd>${form.given_names}</dd>
            <dt>${t("passport_number")}</dt><dd>${form.passport_number}</dd>
            <dt>${t("nationality")}</dt><dd>${form.nationality}</dd>
            <dt>${t("date_of_birth")}</dt><dd>${form.date_of_birth}</dd>
            <dt>${t("passport_expires_on")}</dt><dd>${form.expires_on}</dd>
          </dl>
          <div class="kiosk-actions">
            <button type="button" class="secondary" id="kiosk-no" @click=${back}>${t("kiosk_no")}</button>
            <button type="button" class="primary" id="kiosk-yes" @click=${next}>${t("kiosk_yes")}</button>
          </div>`,
      );
    case "precheck": {
      if (!kiosk.result && !kiosk.busy && !kiosk.error) queueMicrotask(precheck);
      const refused = kiosk.result?.outcome === "refused";
      return frame(
        t("precheck_result"),
        html`${kiosk.busy && !kiosk.result ? html`<p>${t("checking")}</p>` : nothing}
          ${precheckPanel(kiosk.result, { filled: kiosk.filled })}
          ${refused ? html`<p class="outcome outcome-refused">${t("kiosk_cannot_submit")}</p>` : nothing}
          <div class="kiosk-actions">
            <button type="button" class="secondary" id="kiosk-back" @click=${() => { kiosk.result = null; back(); }}>${t("kiosk_back")}</button>
            ${kiosk.result && !refused ? html`<button type="button" class="primary" id="kiosk-submit" ?disabled=${kiosk.busy} @click=${submit}>${kiosk.busy ? t("submitting") : t("submit")}</button>` : nothing}
          </div>`,
      );
    }
    case "receipt": {
      const receipt = kiosk.receipt;
      const link = `${location.origin}/#/case/${receipt.id}`;
      return frame(
        t("kiosk_receipt"),
        html`<section class="receipt" id="receipt" aria-labelledby="receipt-case">
            <p>${t("kiosk_receipt_hint")}</p>
            ${qrCode(link, t("case_title", { id: receipt.id }))}
            <p id="receipt-case"><strong>${t("case_id")}</strong>: <code id="receipt-id">${receipt.id}</code></p>
            <p><strong>${t("due_date")}</strong>: <span id="receipt-due">${receipt.due}</span></p>
          </section>
          <div class="kiosk-actions">
            <button type="button" class="secondary" id="kiosk-print" @click=${() => window.print()}>${t("kiosk_print")}</button>
            <button type="button" class="primary" id="kiosk-finish" @click=${() => { session.signOut(); reset(); app.rerender(); }}>${t("kiosk_finish")}</button>
          </div>`,
        { counter: false },
      );
    }
    default:
      return question(QUESTIONS.find((q) => q.key === kiosk.step));
  }
}
