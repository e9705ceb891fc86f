"""Mitigations of model collapse: composable steps, their theory, a simulator, a planner.

See docs/mitigations.md.
"""
