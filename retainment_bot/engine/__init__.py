"""The pure core: dialogue content, its validation, and the step function.

Nothing in this package performs I/O except ``loader`` (which reads the YAML files it is given),
reads the clock or imports Telegram. Shells call :func:`step` and send what it returns.
"""
