// The public API (API.md), with the caller's token in the Authorization header. Nothing
// else: the app adds no private API. Problems (RFC 9457) become `ApiProblem` errors.

import { session } from "./session.js";

export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  /** Field errors as `{loc, msg}` (validation problems). */
  get errors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

function headers(extra = {}) {
  const token = session.token();
  return token ? { Authorization: `Bearer ${token}`, ...extra } : extra;
}

async function answer(response) {
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiProblem(response.status, body);
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { headers: headers() }));
}

export async function post(path, body, { idempotent = false } = {}) {
  const extra = { "Content-Type": "application/json" };
  if (idempotent) extra["Idempotency-Key"] = crypto.randomUUID();
  return answer(await fetch(path, { method: "POST", headers: headers(extra), body: JSON.stringify(body) }));
}

/** `POST /v1/uploads`: a scan of a document of `kind`; the answer's `upload_id`. */
export async function upload(kind, file) {
  const form = new FormData();
  form.append("kind", kind);
  form.append("file", file, file.name);
  return answer(await fetch("/v1/uploads", { method: "POST", headers: headers(), body: form }));
}

/** `POST /v1/passport-readings`: the MRZ read off a photo of the data page (nothing stored). */
export async function readPassport(image) {
  const form = new FormData();
  form.append("image", image, image.name);
  return answer(await fetch("/v1/passport-readings", { method: "POST", headers: headers(), body: form }));
}

/** Download an upload (the token travels in the header, so a plain link cannot). */
export async function download(href, name) {
  const response = await fetch(href, { headers: headers() });
  if (!response.ok) throw new ApiProblem(response.status, null);
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Follow a case live (`GET /v1/applications/{id}/events`, Server-Sent Events). EventSource
 * cannot send headers, so the stream is read with fetch. `onView` gets each view; the
 * returned controller stops it. The stream ends after the final status.
 */
export function follow(applicationId, onView, onEnd = () => {}) {
  const controller = new AbortController();
  (async () => {
    try {
      const response = await fetch(`/v1/applications/${encodeURIComponent(applicationId)}/events`, {
        headers: headers({ Accept: "text/event-stream" }),
        signal: controller.signal,
      });
      if (!response.ok || !response.body) throw new ApiProblem(response.status, null);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
        let end;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = block
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trimStart())
            .join("\n");
          if (data) onView(JSON.parse(data));
        }
      }
      onEnd(null);
    } catch (error) {
      if (!controller.signal.aborted) onEnd(error);
    }
  })();
  return controller;
}
