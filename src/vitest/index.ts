/** geoadmit/vitest — see SPEC. */
export {};
