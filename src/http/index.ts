/** geoadmit/http — see SPEC. */
export {};
