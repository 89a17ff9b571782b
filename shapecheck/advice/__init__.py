"""Advice for a failing formula: edits of the text as typed, hints, verified repairs, explanations. Given a verify() to call; never imports check.

Imports everything below check, not check itself.
"""
