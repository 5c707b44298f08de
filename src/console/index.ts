/** geoadmit/console — see SPEC. */
export {};
