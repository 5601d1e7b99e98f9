// The patch engine: extract, parse, validate, repair and render unified diffs.
