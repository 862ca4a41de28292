"""Trading statistics: measures by period and group, the seed-shaped report lines, exports, charts, the period report."""
