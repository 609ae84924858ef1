// Copies what the app and its tests load from the npm packages (installed by `npm ci`,
// versions pinned in package-lock.json) into vendor/, which the gateway serves at
// /web/vendor/. No bundler: the browser loads these ES modules as they are published.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";

const copies = [
  ["node_modules/lit-html", "vendor/lit-html", (f) => !/\/(node|development)(\/|$)|\.(ts|map)$/.test(f)],
  ["node_modules/uqr/dist/index.mjs", "vendor/uqr/index.mjs"],
  ["node_modules/uqr/LICENSE", "vendor/uqr/LICENSE"],
  ["node_modules/axe-core/axe.min.js", "vendor/axe-core/axe.min.js"],
  ["node_modules/axe-core/LICENSE", "vendor/axe-core/LICENSE"],
];

rmSync("vendor", { recursive: true, force: true });
for (const [from, to, filter] of copies) {
  mkdirSync(to.split("/").slice(0, -1).join("/"), { recursive: true });
  cpSync(from, to, { recursive: true, filter: filter ? (f) => filter(f) : undefined });
}
writeFileSync("vendor/.stamp", new Date().toISOString() + "\n");
console.log("vendored lit-html, uqr and axe-core into web/vendor/");
