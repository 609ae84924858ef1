"""One Window residence-permit service: residence permits: assessment, reservation, issue,
extension.
"""
