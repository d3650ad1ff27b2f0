// ESLint flat config: `npm run lint` (the whole repository, no warnings allowed in CI).
// Next's rules (core-web-vitals: react, react-hooks 7 with its React Compiler rules, jsx-a11y, import, @next/next)
// plus typescript-eslint's recommended set. Architecture rules (who may import what) are dependency-cruiser's:
// .dependency-cruiser.cjs, `npm run lint:arch`.
import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores([
    ".next/**",
    ".next-*/**", // builds into other folders (NEXT_DIST_DIR)
    "node_modules/**",
    "lib/generated/**", // Prisma's generated clients
    "data/**",
    "test-results/**",
    "playwright-report/**",
    "next-env.d.ts",
  ]),
  {
    rules: {
      // Unused names are errors, except the `_`-prefixed ones kept on purpose (positional parameters, rest siblings).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/no-unused-expressions": "error",
    },
  },
  {
    // The API suites read JSON bodies whose shape each test asserts: `any` there is the honest type.
    files: ["tests/api/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
]);
