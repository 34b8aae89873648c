"""One page per screen of the voter flow; each shows a state and emits the voter's intents."""
