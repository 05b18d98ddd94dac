"""Alembic migrations of the register, run by :func:`ldn_compound.register.open_register`."""
