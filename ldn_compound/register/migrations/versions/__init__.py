"""The migrations, one file per schema revision."""
