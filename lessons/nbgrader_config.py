"""nbgrader's configuration for a course made of tinyfit's lessons.

Copy this file to the root of the course folder (the folder that holds `source/`), as
`nbgrader_config.py`; lessons/README.md walks through releasing and grading.
"""

c = get_config()  # noqa: F821 - nbgrader defines get_config() when it reads this file

c.CourseDirectory.course_id = "tinyfit"

# A cell that runs longer than this is stopped and its check graded zero, so an answer
# that loops forever cannot hang the grading of a whole class. The slowest lesson cell
# takes about 10 s on 2 cores; the margin covers a busy grading server.
c.Execute.timeout = 300

# The stub that replaces each reference answer in the students' version. It is
# nbgrader's own default, written out because the lessons' checks recognise it: an
# answer that still raises NotImplementedError is reported as "not done yet".
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
