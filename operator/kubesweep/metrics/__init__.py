"""Reading trial metrics: PromQL built by pure functions, and one HTTP query per poll."""
