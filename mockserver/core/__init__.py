"""The behaviour: what the fake decides and answers, with no HTTP in it."""
