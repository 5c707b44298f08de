/** geoadmit/janus — see SPEC. */
export {};
