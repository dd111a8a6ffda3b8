"""The course around the lessons: the pieces a teacher and the lessons' checks use.

- `checks`: what an exercise's check cell is made of: a verdict that teaches
  (`CheckFailed`, `NotDone`), fresh random cases on every run, and guards that fail a
  check when an answer hands the work to tinyfit, whichever thread calls it.
- `notebook_format`: the nbgrader markers a lesson carries, read and validated.
- `release`: the student versions of the lessons, as `nbgrader generate_assignment`
  would write them, for a class without a JupyterHub.

`python -m tinyfit.course check lessons/` validates the markers and
`python -m tinyfit.course release lessons/ --to DIR` writes the student versions.
"""
