/** Types for asl-validator 4, which ships JavaScript only: one validator function exported with `export =`. */
declare module 'asl-validator' {
  /** What the validator found. */
  interface AslValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly unknown[];
    errorsText(separator?: string): string;
  }
  /** Validates a state machine definition (it writes a default QueryLanguage into every state: pass a copy). */
  function aslValidator(
    definition: object,
    options?: { readonly checkPaths: boolean; readonly checkArn: boolean },
  ): AslValidationResult;
  export = aslValidator;
}
