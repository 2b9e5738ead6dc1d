"""Part V: selecting queries.

Which point to label next (learned, robust active-learning policies; Chapter 16) and models that select how to
learn from the examples in front of them (in-context learners; Chapter 17). Import from the modules:
``fscore.queries.problems``, ``fscore.queries.policies``, ... (each chapter's modules name what they select).
"""
