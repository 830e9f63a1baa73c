"""The plan/apply engine: desired resources, diff, plan, apply, state."""
