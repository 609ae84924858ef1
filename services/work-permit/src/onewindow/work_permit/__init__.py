"""One Window work-permit service: work permits: classification, assessment, reservation,
issue, extension.
"""
