// Allure 3 configuration for pytest-svtad results (docs/reports.md, "Allure").
//   npx allure generate allure-results --config allurerc.mjs --output allure-report
// The default tree is organised the SVTAD way: Test Stage (parentSuite), then DMC (suite), then functional group
// (subSuite). The categories are the ones pytest-svtad writes into the results folder (categories.json): Allure 3
// takes categories from its configuration only, so they are read from there. The results folder is
// $SVTAD_ALLURE_RESULTS, else the folder named after `generate` on the command line, else allure-results.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

function resultsFolder() {
  if (process.env.SVTAD_ALLURE_RESULTS) return process.env.SVTAD_ALLURE_RESULTS;
  const args = process.argv.slice(2);
  const at = args.indexOf("generate");
  const named = at >= 0 ? args.slice(at + 1).find((arg) => !arg.startsWith("-")) : undefined;
  return named ?? "allure-results";
}

const file = join(resultsFolder(), "categories.json");
const categories = existsSync(file) ? JSON.parse(readFileSync(file, "utf-8")) : undefined;

export default {
  name: "SVTAD",
  output: "allure-report",
  plugins: {
    awesome: {
      options: {
        reportName: "SVTAD",
        groupBy: ["parentSuite", "suite", "subSuite"],
      },
    },
  },
  ...(categories ? { categories } : {}),
};
