"""kopf handlers: read the world, ask the planner, carry out its plan. Nothing is decided
here that the pure core could decide."""
