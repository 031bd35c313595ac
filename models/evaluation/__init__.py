"""Out-of-sample evaluation: backtests, forecast scores, stacking and specification grids."""
