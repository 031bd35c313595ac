"""Layer 0 of macroattr, below every other package: errors, atomic file io, the one date and period
parser, progress, secret redaction and terminal-safe text.  It imports nothing from the rest of
macroattr, so data_pipelines, models, reports and the app all build on it."""
