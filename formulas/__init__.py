"""The built-in master formulas (TOML files), shipped inside the package as ldn_compound.formulas."""
