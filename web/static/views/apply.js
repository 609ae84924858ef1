// The application form (applicant; employer for an employee; clerk: pre-check only).
// Type the MRZ or the fields; the pre-check fills what the registry knows (documents on
// file, the degree's level), explains everything, then the same body is submitted.

import { html, nothing } from "/web/vendor/lit-html/lit-html.js";
import { post, readPassport, upload } from "../api.js";
import { kindName, t } from "../i18n.js";
import { parseTd3 } from "../mrz.js";
import { session } from "../session.js";
import { app, precheckPanel, problemBox } from "../ui.js";

const KINDS = ["degree", "criminal_record", "health", "talent_recognition"];
const BONUSES = ["top_university", "fortune_500", "patent", "continuous_work_in_china"];

export function blankForm() {
  return {
    mrz1: "", mrz2: "", surname: "", given_names: "", sex: "F", date_of_birth: "",
    nationality: "", passport_number: "", expires_on: "", email: "", phone: "", account: "",
    uscc: session.claims()?.uscc || "", hr_email: "", title: "", salary: "", contract_start: "",
    contract_end: "", months: "12", education: "doctorate", experience: "", hsk: "0",
    chinese_degree: false, bonuses: [], address: "", registration: "", commitment: false,
    documents: [],
  };
}

const state = { form: blankForm(), result: null, filled: [], error: null, busy: "", note: "", stale: false, mode: "apply", owner: null };

export function resetApply() {
  Object.assign(state, { form: blankForm(), result: null, filled: [], error: null, busy: "", note: "", stale: false });
}

function integer(text) {
  return /^\d+$/.test(String(text).trim()) ? Number(text) : text;
}

/** The API's body (`POST /v1/applications` and `/v1/prechecks`) from the form. */
export function toBody(form, { channel = "online", language = "en", employee = false } = {}) {
  const mrz = form.mrz1.trim() && form.mrz2.trim() ? [form.mrz1, form.mrz2].map((l) => l.toUpperCase().replace(/\s+/g, "")) : null;
  const applicant = {
    surname: form.surname.trim(),
    given_names: form.given_names.trim(),
    sex: form.sex,
    date_of_birth: form.date_of_birth,
    nationality: form.nationality.trim().toUpperCase(),
    passport: { number: form.passport_number.trim().toUpperCase(), expires_on: form.expires_on, ...(mrz ? { mrz } : {}) },
    email: form.email.trim(),
    ...(form.phone.trim() ? { phone: form.phone.trim() } : {}),
    ...(employee && form.account.trim() ? { account: form.account.trim() } : {}),
  };
  return {
    applicant,
    employer: { uscc: form.uscc.trim().toUpperCase(), ...(form.hr_email.trim() ? { contact_email: form.hr_email.trim() } : {}) },
    position: {
      title: form.title.trim(),
      annual_salary_cny: integer(form.salary),
      contract_start: form.contract_start,
      contract_end: form.contract_end,
      months_in_china_per_year: integer(form.months),
    },
    qualifications: {
      education: form.education,
      experience_years: integer(form.experience),
      hsk_level: integer(form.hsk),
      chinese_taught_degree: form.chinese_degree,
      bonuses: form.bonuses,
    },
    residence: { address: form.address.trim(), ...(form.registration.trim() ? { registration_number: form.registration.trim() } : {}) },
    documents: form.documents.map((d) => (d.upload_id ? { kind: d.kind, upload_id: d.upload_id } : { kind: d.kind, registry_id: d.registry_id })),
    commitments: { criminal_record: form.commitment },
    channel,
    language,
  };
}

/** Fill the form from the two MRZ lines; the fields it read, or throws. */
export function readMrz(form) {
  const read = parseTd3(form.mrz1, form.mrz2);
  Object.assign(form, {
    surname: read.surname, given_names: read.given_names, sex: read.sex, date_of_birth: read.date_of_birth,
    nationality: read.nationality, passport_number: read.passport_number, expires_on: read.expires_on,
    mrz1: read.lines[0], mrz2: read.lines[1],
  });
  return read;
}

/** Fill the form from a passport reading (`POST /v1/passport-readings`'s answer). */
export function fillFromReading(form, reading) {
  const f = reading.fields;
  Object.assign(form, {
    surname: f.surname, given_names: f.given_names, sex: f.sex, date_of_birth: f.date_of_birth,
    nationality: f.nationality, passport_number: f.passport_number, expires_on: f.expires_on,
    mrz1: reading.mrz[0], mrz2: reading.mrz[1],
  });
  return f;
}

/** Read a photo of the data page into the form; the fields read, or throws an ApiProblem. */
export async function readPhoto(form, file) {
  return fillFromReading(form, await readPassport(file));
}

/**
 * Pre-check the form, then cite what the registry holds in force that the form does not
 * cite yet and take the registry's degree level, and pre-check again: the answer, and what
 * was filled in.
 */
export async function precheckAndFill(form, options) {
  let result = await post("/v1/prechecks", toBody(form, options));
  const filled = [];
  for (const doc of result.registry_documents) {
    if (doc.in_force && !doc.cited && !form.documents.some((d) => d.kind === doc.kind)) {
      form.documents.push({ kind: doc.kind, registry_id: doc.registry_id });
      filled.push(`${kindName(doc.kind)} ${doc.registry_id}`);
    }
    const level = doc.kind === "degree" && doc.in_force ? doc.details?.level : null;
    if (level && level !== form.education) {
      form.education = level;
      filled.push(`${t("education")}: ${t(`education_${level}`)}`);
    }
  }
  if (filled.length) result = await post("/v1/prechecks", toBody(form, options));
  return { result, filled };
}

function changed() {
  if (state.result) state.stale = true;
  app.rerender();
}

function bind(key) {
  return (event) => {
    const input = event.target;
    state.form[key] = input.type === "checkbox" ? input.checked : input.value;
    changed();
  };
}

function errorFor(path) {
  const errors = state.error?.errors || [];
  return errors.some((e) => (e.loc || []).slice(1).join(".") === path);
}

function text(key, label, { type = "text", path = "", required = true, hint = "", attrs = {} } = {}) {
  const id = `f-${key}`;
  return html`<div class="field">
    <label for=${id}>${label}${required ? nothing : nothing}</label>
    <input id=${id} name=${key} type=${type} .value=${state.form[key]} @input=${bind(key)}
      ?required=${required} aria-invalid=${errorFor(path) ? "true" : "false"}
      autocomplete=${attrs.autocomplete || "off"} inputmode=${attrs.inputmode || nothing}
      aria-describedby=${hint ? `${id}-hint` : nothing} />
    ${hint ? html`<small id=${`${id}-hint`}>${hint}</small>` : nothing}
  </div>`;
}

function choice(key, label, options) {
  const id = `f-${key}`;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <select id=${id} name=${key} @change=${bind(key)}>
      ${options.map(([value, name]) => html`<option value=${value} ?selected=${state.form[key] === value}>${name}</option>`)}
    </select>
  </div>`;
}

async function onReadMrz() {
  try {
    const read = readMrz(state.form);
    state.note = t("mrz_read", { fields: [read.surname, read.given_names, read.passport_number, read.nationality, read.date_of_birth, read.expires_on].join(", ") });
    state.error = null;
  } catch (error) {
    state.note = t("mrz_bad", { error: error.message });
  }
  changed();
}

async function onPhoto(event) {
  const file = event.target.files?.[0];
  if (!file) return;
  state.note = t("reading_passport");
  app.rerender();
  try {
    const read = await readPhoto(state.form, file);
    state.note = t("mrz_read", { fields: [read.surname, read.given_names, read.passport_number, read.nationality, read.date_of_birth, read.expires_on].join(", ") });
    state.error = null;
  } catch (error) {
    state.note = "";
    state.error = error;
  }
  changed();
}

async function onUpload(kind, event) {
  const file = event.target.files?.[0];
  if (!file) return;
  try {
    const answer = await upload(kind, file);
    state.form.documents = state.form.documents.filter((d) => d.kind !== kind);
    state.form.documents.push({ kind, upload_id: answer.upload_id, name: file.name });
    state.error = null;
  } catch (error) {
    state.error = error;
  }
  changed();
}

function cite(kind, registryId) {
  state.form.documents = state.form.documents.filter((d) => d.kind !== kind);
  state.form.documents.push({ kind, registry_id: registryId });
  changed();
  onPrecheck(state.mode);
}

function options(mode) {
  return { employee: mode === "employee", language: document.documentElement.lang.startsWith("zh") ? "zh" : "en" };
}

async function onPrecheck(mode) {
  state.busy = "check";
  app.rerender();
  try {
    const { result, filled } = await precheckAndFill(state.form, options(mode));
    Object.assign(state, { result, filled, error: null, stale: false });
  } catch (error) {
    state.error = error;
  }
  state.busy = "";
  app.rerender();
  document.getElementById(state.error ? "form-problem" : "precheck")?.focus?.();
}

async function onSubmit(event, mode) {
  event.preventDefault();
  state.busy = "submit";
  app.rerender();
  try {
    const accepted = await post("/v1/applications", toBody(state.form, options(mode)), { idempotent: true });
    resetApply();
    app.navigate(`#/case/${accepted.id}`);
  } catch (error) {
    state.error = error;
    state.busy = "";
    app.rerender();
  }
}

/** The form; `mode` is `apply` (applicant), `employee` (employer) or `precheck` (clerk). */
export function applyView(mode) {
  const sub = session.claims()?.sub;
  if (state.owner !== sub || state.mode !== mode) {
    resetApply(); // a form belongs to one account and one purpose
    state.owner = sub;
  }
  const form = state.form;
  state.mode = mode;
  const title = { apply: t("apply_title"), employee: t("apply_employee_title"), precheck: t("precheck_title") }[mode];
  const canSubmit = mode !== "precheck" && state.result && !state.stale && state.result.outcome !== "refused";
  const employer = state.result?.employer;
  return html`<h1 tabindex="-1">${title}</h1>
    <p class="intro">${t("apply_intro")}</p>
    <div class="columns">
      <form id="application" class="application" @submit=${(e) => onSubmit(e, mode)} novalidate>
        <div id="form-problem" tabindex="-1">${problemBox(state.error)}</div>
        <fieldset>
          <legend>${t("passport")}</legend>
          <div class="field wide">
            <label for="f-photo">${t("scan_passport")}</label>
            <input type="file" id="f-photo" accept="image/jpeg,image/png" capture="environment" @change=${onPhoto} />
          </div>
          <p class="hint">${t("or_type")}</p>
          <div class="field wide">
            <label for="f-mrz1">${t("mrz_line1")}</label>
            <input id="f-mrz1" class="mrz" .value=${form.mrz1} @input=${bind("mrz1")} maxlength="50" spellcheck="false" autocomplete="off" />
          </div>
          <div class="field wide">
            <label for="f-mrz2">${t("mrz_line2")}</label>
            <input id="f-mrz2" class="mrz" .value=${form.mrz2} @input=${bind("mrz2")} maxlength="50" spellcheck="false" autocomplete="off" />
          </div>
          <button type="button" class="secondary" id="read-mrz" @click=${onReadMrz}>${t("read_mrz")}</button>
          <p class="note" role="status" id="mrz-note">${state.note}</p>
          ${text("surname", t("surname"), { path: "applicant.surname" })}
          ${text("given_names", t("given_names"), { required: false })}
          ${choice("sex", t("sex"), [["F", t("sex_F")], ["M", t("sex_M")], ["X", t("sex_X")]])}
          ${text("date_of_birth", t("date_of_birth"), { type: "date", path: "applicant.date_of_birth" })}
          ${text("nationality", t("nationality"), { path: "applicant.nationality" })}
          ${text("passport_number", t("passport_number"), { path: "applicant.passport.number" })}
          ${text("expires_on", t("passport_expires_on"), { type: "date", path: "applicant.passport.expires_on" })}
        </fieldset>
        <fieldset>
          <legend>${t("contact")}</legend>
          ${mode === "employee" ? text("account", t("employee_account"), { path: "applicant.account" }) : nothing}
          ${text("email", t("email"), { type: "email", path: "applicant.email", attrs: { autocomplete: "email" } })}
          ${text("phone", t("phone"), { type: "tel", required: false, path: "applicant.phone" })}
        </fieldset>
        <fieldset>
          <legend>${t("employer")}</legend>
          ${text("uscc", t("employer_uscc"), { path: "employer.uscc" })}
          ${employer ? html`<p class="note" id="employer-on-file">${t("employer_on_file", { name: employer.name, date: employer.licence_valid_until })}</p>` : nothing}
          ${text("hr_email", t("employer_contact"), { type: "email", required: false })}
        </fieldset>
        <fieldset>
          <legend>${t("position")}</legend>
          ${text("title", t("title"), { path: "position.title" })}
          ${text("salary", t("salary"), { path: "position.annual_salary_cny", attrs: { inputmode: "numeric" } })}
          ${text("contract_start", t("contract_start"), { type: "date", path: "position.contract_start" })}
          ${text("contract_end", t("contract_end"), { type: "date", path: "position.contract_end" })}
          ${text("months", t("months"), { path: "position.months_in_china_per_year", attrs: { inputmode: "numeric" } })}
        </fieldset>
        <fieldset>
          <legend>${t("qualifications")}</legend>
          ${choice("education", t("education"), ["doctorate", "master", "bachelor", "other"].map((e) => [e, t(`education_${e}`)]))}
          ${text("experience", t("experience"), { path: "qualifications.experience_years", attrs: { inputmode: "numeric" } })}
          ${text("hsk", t("hsk"), { path: "qualifications.hsk_level", attrs: { inputmode: "numeric" } })}
          <div class="check"><input type="checkbox" id="f-chinese_degree" .checked=${form.chinese_degree} @change=${bind("chinese_degree")} /><label for="f-chinese_degree">${t("chinese_degree")}</label></div>
          <fieldset class="inner">
            <legend>${t("bonuses")}</legend>
            ${BONUSES.map(
              (b) => html`<div class="check"><input type="checkbox" id=${`f-bonus-${b}`} .checked=${form.bonuses.includes(b)}
                  @change=${(e) => { form.bonuses = e.target.checked ? [...form.bonuses, b] : form.bonuses.filter((x) => x !== b); changed(); }} />
                <label for=${`f-bonus-${b}`}>${t(`bonus_${b}`)}</label></div>`,
            )}
          </fieldset>
        </fieldset>
        <fieldset>
          <legend>${t("residence")}</legend>
          ${text("address", t("address"), { path: "residence.address", attrs: { autocomplete: "street-address" } })}
          ${text("registration", t("registration_number"), { required: false, path: "residence.registration_number" })}
        </fieldset>
        <fieldset>
          <legend>${t("documents")}</legend>
          <p class="hint">${t("documents_hint")}</p>
          <ul id="citations">
            ${form.documents.map(
              (d) => html`<li data-kind=${d.kind}>${kindName(d.kind)}: ${d.registry_id ? html`<code>${d.registry_id}</code>` : t("uploaded", { name: d.name || d.upload_id })}
                <button type="button" class="link" aria-label=${`× ${kindName(d.kind)}`} @click=${() => { form.documents = form.documents.filter((x) => x !== d); changed(); }}>×</button></li>`,
            )}
          </ul>
          ${KINDS.map(
            (kind) => html`<div class="field"><label for=${`upload-${kind}`}>${t("upload_for", { kind: kindName(kind) })}</label>
              <input type="file" id=${`upload-${kind}`} accept="application/pdf,image/jpeg,image/png" @change=${(e) => onUpload(kind, e)} /></div>`,
          )}
          <div class="check"><input type="checkbox" id="f-commitment" .checked=${form.commitment} @change=${bind("commitment")} /><label for="f-commitment">${t("commitment")}</label></div>
        </fieldset>
        <div class="actions">
          <button type="button" id="run-precheck" @click=${() => onPrecheck(mode)} ?disabled=${!!state.busy}>${state.busy === "check" ? t("checking") : t("run_precheck")}</button>
          ${mode === "precheck" ? nothing : html`<button type="submit" id="submit" class="primary" ?disabled=${!canSubmit || !!state.busy}>${state.busy === "submit" ? t("submitting") : t("submit")}</button>`}
        </div>
        ${state.stale ? html`<p class="note" role="status">${t("precheck_stale")}</p>` : nothing}
      </form>
      <div class="aside" tabindex="-1" aria-live="polite">${precheckPanel(state.result, { onCite: cite, filled: state.filled })}</div>
    </div>`;
}
