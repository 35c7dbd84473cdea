"""The example notebooks' generator, their nbval plugin and sanitize rules."""
