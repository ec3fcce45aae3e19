"""Pure SVTAD rules: plan + results (+ issues) -> counts, Testing Issues and the exit-criteria verdict.

No pytest, no files, no clock: every function here takes plain data and returns plain data.
"""
