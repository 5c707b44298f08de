/** geoadmit/livekit — see SPEC. */
export {};
