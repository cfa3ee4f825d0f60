"""`kumolint audit`: find every secret that ever reached a repository's git history.

`history` walks the commits once (`git log --raw`, no diffs) and reads each distinct blob of
a file kumolint understands once (`git cat-file --batch`); the per-file rules run on every
version; each finding is reported once, with the commit that first introduced it and whether
HEAD still has it. `report` and `html` turn that into a rotation checklist. Nothing here is
imported by `kumolint check`.
"""
