"""One module per rule, `kl<NNN>_<name>.py`; private helpers shared by rules start with `_`."""
