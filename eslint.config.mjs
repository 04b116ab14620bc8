// Lint for every TypeScript file of the project: components, policy pack, render, scaffolding, stack program,
// worker and tests. Formatting is prettier's (.prettierrc.json); these rules are about meaning.
import jsdoc from "eslint-plugin-jsdoc";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**", "**/dist/**", "**/*.js", "**/*.mjs", "test/upstream/**",
      // StrykerJS's sandboxes (copies of the project, mutated) and reports: `npm run mutation`.
      ".stryker-tmp/**", "reports/**",
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      // Policies read resources' untyped `props`; tests build deliberately odd shapes.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
  {
    files: ["components/**/*.ts"],
    plugins: { jsdoc },
    rules: {
      // The library's API documents itself: every exported class and function, every field of an Args type and
      // of the settings an orchestrator takes, every public output.
      "jsdoc/require-jsdoc": [
        "error",
        {
          publicOnly: true,
          require: { ClassDeclaration: true, FunctionDeclaration: true },
          contexts: [
            "TSInterfaceDeclaration[id.name=/Args$/] TSPropertySignature",
            "TSInterfaceDeclaration[id.name=/^(SaasConnection|CamundaChart|ExternalPostgres|ExternalKafka|StrimziKafka|TopicSettings|JwtIssuer|WorkerAutoscaling|OrchestratorSecretNames)$/] TSPropertySignature",
            "TSTypeAliasDeclaration[id.name='OrchestratorSettings'] TSPropertySignature",
            "ClassDeclaration PropertyDefinition[accessibility='public']",
          ],
        },
      ],
      "jsdoc/check-alignment": "error",
      "jsdoc/no-multi-asterisks": "error",
      "jsdoc/require-asterisk-prefix": "error",
      "jsdoc/empty-tags": "error",
      "jsdoc/check-tag-names": ["error", { definedTags: ["internal"] }],
    },
  },
);
